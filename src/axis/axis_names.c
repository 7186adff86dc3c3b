/* Axis type and resampling method names (the strings the CLI and Thyra use). */
#include <string.h>

#include "common/error.h"
#include "msizarr/axis.h"

static const char *const axis_names[] = {"constant", "linear_tof", "reflector_tof", "orbitrap",
                                         "fticr"};
static const char *const method_names[] = {"nearest_neighbor", "tic_preserving"};

#define N_AXIS   (sizeof axis_names / sizeof axis_names[0])
#define N_METHOD (sizeof method_names / sizeof method_names[0])

msiz_status msiz_axis_type_parse(const char *name, msiz_axis_type *out)
{
    for (size_t i = 0; name && i < N_AXIS; i++) {
        if (strcmp(name, axis_names[i]) == 0) {
            *out = (msiz_axis_type)i;
            return MSIZ_OK;
        }
    }
    return msiz_fail(MSIZ_E_ARG,
                     "unknown mass axis type '%s' (valid: constant, linear_tof, reflector_tof, "
                     "orbitrap, fticr)",
                     name ? name : "(null)");
}

const char *msiz_axis_type_name(msiz_axis_type type)
{
    return (unsigned)type < N_AXIS ? axis_names[type] : "unknown";
}

msiz_status msiz_resample_method_parse(const char *name, msiz_resample_method *out)
{
    for (size_t i = 0; name && i < N_METHOD; i++) {
        if (strcmp(name, method_names[i]) == 0) {
            *out = (msiz_resample_method)i;
            return MSIZ_OK;
        }
    }
    return msiz_fail(MSIZ_E_ARG,
                     "unknown resampling method '%s' (valid: nearest_neighbor, tic_preserving)",
                     name ? name : "(null)");
}

const char *msiz_resample_method_name(msiz_resample_method method)
{
    return (unsigned)method < N_METHOD ? method_names[method] : "unknown";
}
