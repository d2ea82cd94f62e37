// CZlib: zlib's gz* file API, which reads gzip-compressed and plain files alike.
#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H
#include <zlib.h>
#endif
