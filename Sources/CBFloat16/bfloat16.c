// The target holds only include/bfloat16.h (static inline); SwiftPM needs one source file.
