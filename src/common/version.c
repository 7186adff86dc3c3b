/* The library's version, from CMake's project(VERSION) (the headers' MSIZ_VERSION_* macros are
 * checked against it by test_version in tests/unit/test_api.c). */
#include "msizarr/msizarr.h"

#if !defined(MSIZ_BUILD_VERSION) || !defined(MSIZ_BUILD_VERSION_NUMBER)
#error "build with CMake: it defines MSIZ_BUILD_VERSION and MSIZ_BUILD_VERSION_NUMBER"
#endif

const char *msiz_version(void)
{
    return MSIZ_BUILD_VERSION;
}

unsigned msiz_version_number(void)
{
    return MSIZ_BUILD_VERSION_NUMBER;
}
