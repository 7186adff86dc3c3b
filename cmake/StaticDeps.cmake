# MSIZ_STATIC_DEPS: link the C dependencies from their static archives (libX.a), so that the
# library's users (the CLI, the Python extension) need only the C library at run time. The
# Python wheel builds this way. Debian's libblosc.a also calls lz4 and snappy (C++), which its
# pkg-config file does not list: their archives and libstdc++'s are added when found (an archive
# member is only pulled in when something needs it).
#
# Defines MSIZ_DEP_LIBS (to link in place of the pkg-config targets) and MSIZ_DEP_INCLUDE_DIRS.

set(MSIZ_STATIC_REQUIRED blosc snappy zstd sqlite3 jansson expat png z)
set(MSIZ_STATIC_OPTIONAL lz4)
set(MSIZ_DEP_LIBS "")
# blosc first: the archives it needs (lz4, snappy, zstd, z) must come after it; png before z
foreach(name IN ITEMS blosc lz4 snappy zstd sqlite3 jansson expat png z)
  find_library(MSIZ_STATIC_${name} NAMES lib${name}.a)
  if(MSIZ_STATIC_${name})
    list(APPEND MSIZ_DEP_LIBS ${MSIZ_STATIC_${name}})
  elseif(name IN_LIST MSIZ_STATIC_REQUIRED)
    message(FATAL_ERROR "MSIZ_STATIC_DEPS: lib${name}.a not found (Debian: the -dev package)")
  endif()
endforeach()
if(MSIZ_STATIC_snappy)
  # snappy is C++: its runtime from the compiler's static archive, the unwinder from libgcc_eh
  execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libstdc++.a
                  OUTPUT_VARIABLE MSIZ_STATIC_STDCXX OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(IS_ABSOLUTE "${MSIZ_STATIC_STDCXX}" AND EXISTS "${MSIZ_STATIC_STDCXX}")
    list(APPEND MSIZ_DEP_LIBS ${MSIZ_STATIC_STDCXX})
  else()
    list(APPEND MSIZ_DEP_LIBS stdc++)
  endif()
  add_link_options(-static-libgcc)
endif()
list(APPEND MSIZ_DEP_LIBS Threads::Threads ${CMAKE_DL_LIBS} m)
set(MSIZ_DEP_INCLUDE_DIRS ${EXPAT_INCLUDE_DIRS} ${ZSTD_INCLUDE_DIRS} ${ZLIB_INCLUDE_DIRS}
    ${BLOSC_INCLUDE_DIRS} ${SQLITE3_INCLUDE_DIRS} ${JANSSON_INCLUDE_DIRS} ${SNAPPY_INCLUDE_DIRS}
    ${PNG_INCLUDE_DIRS})
