// The header's static inline functions are the whole module; SwiftPM wants one source file.
#include "float_control.h"
