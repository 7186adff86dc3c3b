/* msizarr._core: the CPython binding of the public C API (msizarr.h, source.h, convert.h). No
 * logic of its own: options go to msiz_convert_opts_set by their command-line names, the info
 * summary is msiz_source_info_json's text. What it adds is the plumbing Python needs:
 *
 * - msiz_convert runs on a thread of its own with the GIL released; the calling thread waits,
 *   and every 50 ms (or at once when an event arrives) takes the GIL to hand progress events and
 *   log messages to Python and to check for signals (Ctrl-C);
 * - a progress event is handed over synchronously: the converter waits until Python has taken
 *   it (the library sends a few per second), so a callback that raises, or a Ctrl-C seen while
 *   it runs, stops the conversion before any further work;
 * - KeyboardInterrupt, or an exception raised by a progress or log callback, sets the
 *   converter's cancel flag; the caller waits for the converter to clean up (nothing is left on
 *   disk) and the exception propagates;
 * - failures raise ConversionError carrying the library's message.
 *
 * Built against the stable ABI (Py_LIMITED_API) when the wheel asks for it. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "msizarr/convert.h"
#include "msizarr/report.h"
#include "msizarr/source.h"

#define WAKE_MS    50
#define MAX_EVENTS 16

static PyObject *g_conversion_error;

typedef struct job {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_cond_t taken_cv; /* the caller took the events posted so far (under mu) */
    uint64_t posted, taken;  /* progress events posted by the converter / taken by the caller */
    int done;                /* the converter returned (under mu) */
    volatile int cancel;     /* polled by the converter */
    /* inputs */
    const char *input, *output;
    msiz_convert_opts opts;
    int want_progress;
    /* progress events not yet delivered (under mu); one per pass and plane, the newest kept */
    msiz_progress events[MAX_EVENTS];
    char pass_names[MAX_EVENTS][16];
    int n_events;
    /* results */
    msiz_status status;
    char message[1024];
    msiz_convert_summary summary;
} job;

/* ---- Errors -------------------------------------------------------------------------------- */

static PyObject *raise_conversion_error(msiz_status status, const char *message)
{
    PyObject *text =
        PyUnicode_DecodeFSDefault(message && *message ? message : msiz_strerror(status));
    PyObject *exc = text ? PyObject_CallFunctionObjArgs(g_conversion_error, text, NULL) : NULL;
    Py_XDECREF(text);
    if (!exc)
        return NULL;
    PyObject *code = PyLong_FromLong((long)status);
    PyObject *reason = PyUnicode_FromString(msiz_strerror(status));
    if (code && reason && PyObject_SetAttrString(exc, "code", code) == 0 &&
        PyObject_SetAttrString(exc, "reason", reason) == 0)
        PyErr_SetObject(g_conversion_error, exc);
    Py_XDECREF(code);
    Py_XDECREF(reason);
    Py_DECREF(exc);
    return NULL;
}

/* ---- Delivery to Python (GIL held) ------------------------------------------------------- */

/* Hands queued log messages to on_log(level, message); -1 with an exception set if it raised. */
static int deliver_logs(PyObject *on_log)
{
    core_log_entry e;
    while (core_log_pop(&e)) {
        if (on_log == Py_None)
            continue;
        PyObject *msg = PyUnicode_DecodeFSDefault(e.message);
        PyObject *r = msg ? PyObject_CallFunction(on_log, "iO", e.level, msg) : NULL;
        Py_XDECREF(msg);
        if (!r)
            return -1;
        Py_DECREF(r);
    }
    return 0;
}

static int deliver_progress(PyObject *on_progress, const msiz_progress *events, int n)
{
    for (int i = 0; i < n; i++) {
        const msiz_progress *p = &events[i];
        PyObject *r = PyObject_CallFunction(
            on_progress, "siKKdK", p->pass, p->plane, (unsigned long long)p->done,
            (unsigned long long)p->total, p->elapsed_s, (unsigned long long)p->rss_bytes);
        if (!r)
            return -1;
        Py_DECREF(r);
    }
    return 0;
}

/* ---- The conversion thread (no GIL) ----------------------------------------------------- */

static void on_progress_event(void *user, const msiz_progress *p)
{
    job *j = user;
    pthread_mutex_lock(&j->mu);
    int i = 0;
    while (i < j->n_events &&
           !(strcmp(j->pass_names[i], p->pass) == 0 && j->events[i].plane == p->plane))
        i++;
    if (i == MAX_EVENTS) { /* more passes than slots before a drain: keep the newest */
        memmove(j->events, j->events + 1, (MAX_EVENTS - 1) * sizeof j->events[0]);
        memmove(j->pass_names, j->pass_names + 1, (MAX_EVENTS - 1) * sizeof j->pass_names[0]);
        i = MAX_EVENTS - 1;
    } else if (i == j->n_events) {
        j->n_events++;
    }
    j->events[i] = *p;
    snprintf(j->pass_names[i], sizeof j->pass_names[i], "%s", p->pass);
    j->events[i].pass = j->pass_names[i];
    uint64_t mine = ++j->posted;
    pthread_cond_signal(&j->cv);
    while (j->taken < mine && !j->cancel) /* until Python has handled it (or cancelled) */
        pthread_cond_wait(&j->taken_cv, &j->mu);
    pthread_mutex_unlock(&j->mu);
}

static void *conversion_thread(void *arg)
{
    job *j = arg;
    msiz_clear_error();
    msiz_status st = msiz_convert(j->input, j->output, &j->opts, &j->summary);
    pthread_mutex_lock(&j->mu);
    j->status = st;
    if (st < 0) /* the message lives in this thread's storage: copy it out */
        snprintf(j->message, sizeof j->message, "%s", msiz_last_error());
    j->done = 1;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

/* ---- Waiting (GIL released while blocked) ------------------------------------------------- */

/* Tells the converter that the events copied out so far were handled (or need not be). */
static void release_events(job *j, uint64_t upto)
{
    Py_BEGIN_ALLOW_THREADS pthread_mutex_lock(&j->mu);
    if (upto > j->taken)
        j->taken = upto;
    pthread_cond_broadcast(&j->taken_cv);
    pthread_mutex_unlock(&j->mu);
    Py_END_ALLOW_THREADS
}

/* Blocks up to WAKE_MS for news; copies the pending events out (*upto: how many were posted).
 * Returns whether it is done. */
static int wait_for_news(job *j, msiz_progress *events, char (*names)[16], int *n_events,
                         uint64_t *upto)
{
    int done;
    Py_BEGIN_ALLOW_THREADS pthread_mutex_lock(&j->mu);
    if (!j->done && j->n_events == 0) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += WAKE_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&j->cv, &j->mu, &until);
    }
    *n_events = j->n_events;
    memcpy(events, j->events, (size_t)j->n_events * sizeof *events);
    memcpy(names, j->pass_names, (size_t)j->n_events * sizeof names[0]);
    for (int i = 0; i < j->n_events; i++)
        events[i].pass = names[i];
    j->n_events = 0;
    *upto = j->posted;
    done = j->done;
    pthread_mutex_unlock(&j->mu);
    Py_END_ALLOW_THREADS return done;
}

/* Runs the job to its end. The first exception raised meanwhile (a signal handler's, a
 * callback's) cancels the conversion and is returned (a new reference in *exc triple). */
static void run_job(job *j, PyObject *on_progress, PyObject *on_log, PyObject *exc[3])
{
    msiz_progress events[MAX_EVENTS];
    char names[MAX_EVENTS][16];
    int n = 0, done = 0;
    uint64_t upto = 0;
    while (!done) {
        done = wait_for_news(j, events, names, &n, &upto);
        if (exc[0]) /* cancelled: wait for the clean-up, deliver nothing more */
            continue;
        int failed = deliver_logs(on_log) < 0;
        failed = failed || (on_progress != Py_None && deliver_progress(on_progress, events, n) < 0);
        failed = failed || PyErr_CheckSignals() < 0;
        if (failed) {
            PyErr_Fetch(&exc[0], &exc[1], &exc[2]);
            j->cancel = 1; /* set before the release: the waiting converter sees it */
        }
        release_events(j, upto);
    }
    if (exc[0]) { /* the clean-up's messages belong to no one: drop them */
        core_log_entry e;
        while (core_log_pop(&e))
            ;
    } else if (deliver_logs(on_log) < 0) { /* what the last moments logged */
        PyErr_Fetch(&exc[0], &exc[1], &exc[2]);
    }
}

/* ---- convert -------------------------------------------------------------------------------- */

/* Applies [(name, value-or-None), ...]; the encoded values are kept alive in `keep`. */
static int apply_options(msiz_convert_opts *o, PyObject *options, PyObject *keep)
{
    if (!PyList_Check(options)) {
        PyErr_SetString(PyExc_TypeError, "options must be a list of (name, value) pairs");
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyList_Size(options); i++) {
        PyObject *pair = PyList_GetItem(options, i);
        PyObject *name, *value, *bytes = NULL;
        if (!PyArg_ParseTuple(pair, "UO", &name, &value))
            return -1;
        PyObject *name_bytes = PyUnicode_AsUTF8String(name);
        if (!name_bytes || PyList_Append(keep, name_bytes) < 0) {
            Py_XDECREF(name_bytes);
            return -1;
        }
        Py_DECREF(name_bytes);
        if (value != Py_None) {
            if (!PyUnicode_FSConverter(value, &bytes)) /* str or os.PathLike */
                return -1;
            int kept = PyList_Append(keep, bytes);
            Py_DECREF(bytes);
            if (kept < 0)
                return -1;
        }
        msiz_clear_error();
        if (msiz_convert_opts_set(o, PyBytes_AsString(name_bytes),
                                  bytes ? PyBytes_AsString(bytes) : NULL) < 0) {
            raise_conversion_error(MSIZ_E_ARG, msiz_last_error());
            return -1;
        }
    }
    if (msiz_convert_opts_check(o) < 0) {
        raise_conversion_error(MSIZ_E_ARG, msiz_last_error());
        return -1;
    }
    return 0;
}

static PyObject *summary_dict(const msiz_convert_summary *s)
{
    return Py_BuildValue(
        "{s:K,s:K,s:K,s:K,s:(iii),s:i,s:K,s:K,s:K,s:K,s:K,s:d,s:s}", "spectra_read",
        (unsigned long long)s->spectra_read, "pixels", (unsigned long long)s->pixels, "bins",
        (unsigned long long)s->bins, "nnz", (unsigned long long)s->nnz, "grid", (int)s->n_x,
        (int)s->n_y, (int)s->n_z, "planes", s->planes, "peaks_out_of_range",
        (unsigned long long)s->peaks_out_of_range, "spectra_out_of_grid",
        (unsigned long long)s->spectra_out_of_grid, "duplicates_dropped",
        (unsigned long long)s->duplicates_dropped, "spilled_bytes",
        (unsigned long long)s->spilled_bytes, "peak_rss_bytes",
        (unsigned long long)s->peak_rss_bytes, "seconds", s->seconds, "plan", s->plan);
}

/* Starts the thread and waits for it; returns the summary dict or NULL with an exception. */
static PyObject *convert_on_thread(job *j, PyObject *on_progress, PyObject *on_log)
{
    pthread_t thread;
    PyObject *exc[3] = {NULL, NULL, NULL};
    j->opts.progress = on_progress != Py_None ? on_progress_event : NULL;
    j->opts.progress_user = j;
    j->opts.cancel = &j->cancel;
    int rc = pthread_create(&thread, NULL, conversion_thread, j);
    if (rc != 0) {
        errno = rc;
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    run_job(j, on_progress, on_log, exc);
    Py_BEGIN_ALLOW_THREADS pthread_join(thread, NULL);
    Py_END_ALLOW_THREADS if (exc[0])
    {
        PyErr_Restore(exc[0], exc[1], exc[2]);
        return NULL;
    }
    if (j->status < 0)
        return raise_conversion_error(j->status, j->message);
    return summary_dict(&j->summary);
}

static PyObject *run_convert(PyObject *input, PyObject *output, PyObject *options,
                             PyObject *on_progress, PyObject *on_log, int log_level)
{
    PyObject *keep = PyList_New(0), *result = NULL;
    job *j = keep ? PyMem_Calloc(1, sizeof *j) : NULL;
    if (!j) {
        Py_XDECREF(keep);
        return PyErr_NoMemory();
    }
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    pthread_cond_init(&j->taken_cv, NULL);
    j->input = PyBytes_AsString(input);
    j->output = PyBytes_AsString(output);
    msiz_convert_opts_init(&j->opts);
    msiz_convert_summary_init(&j->summary);
    if (apply_options(&j->opts, options, keep) == 0) {
        core_log_set_level(log_level);
        result = convert_on_thread(j, on_progress, on_log);
    }
    pthread_cond_destroy(&j->cv);
    pthread_cond_destroy(&j->taken_cv);
    pthread_mutex_destroy(&j->mu);
    PyMem_Free(j);
    Py_DECREF(keep);
    return result;
}

static PyObject *core_convert(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"input",  "output",    "options", "on_progress",
                             "on_log", "log_level", NULL};
    PyObject *input = NULL, *output = NULL, *options, *on_progress = Py_None, *on_log = Py_None;
    PyObject *result = NULL;
    int log_level = MSIZ_LOG_WARNING;
    (void)self;
    if (PyArg_ParseTupleAndKeywords(args, kwargs, "O&O&O|OOi", kwlist, PyUnicode_FSConverter,
                                    &input, PyUnicode_FSConverter, &output, &options, &on_progress,
                                    &on_log, &log_level))
        result = run_convert(input, output, options, on_progress, on_log, log_level);
    Py_XDECREF(input);
    Py_XDECREF(output);
    return result;
}

/* ---- info ----------------------------------------------------------------------------------- */

static PyObject *core_info(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"path", "verify_checksums", "on_log", "log_level", NULL};
    PyObject *path = NULL, *on_log = Py_None, *result = NULL;
    int verify = 0, log_level = MSIZ_LOG_WARNING;
    char message[1024] = "";
    const char *text = NULL;
    msiz_source *src = NULL;
    msiz_status st;
    (void)self;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O&|pOi", kwlist, PyUnicode_FSConverter, &path,
                                     &verify, &on_log, &log_level))
        return NULL;
    msiz_source_opts opts;
    msiz_source_opts_init(&opts);
    opts.verify_checksums = verify;
    opts.bruker_allow_non_imaging = 1; /* as `msizarr info`: describe spot and LC runs */
    core_log_set_level(log_level);
    Py_BEGIN_ALLOW_THREADS /* opening reads the header, maybe hashes the whole .ibd */
    msiz_clear_error();
    st = msiz_source_open(PyBytes_AsString(path), &opts, &src);
    if (st >= 0)
        st = msiz_source_info_json(src, &text);
    if (st < 0)
        snprintf(message, sizeof message, "%s", msiz_last_error());
    Py_END_ALLOW_THREADS if (deliver_logs(on_log) == 0) result =
        st < 0 ? raise_conversion_error(st, message) : PyUnicode_FromString(text);
    msiz_source_close(src);
    Py_DECREF(path);
    return result;
}

/* ---- report --------------------------------------------------------------------------------- */

static PyObject *core_report(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"store", "html", "ions", "overwrite", "on_log", "log_level", NULL};
    PyObject *store = NULL, *html = NULL, *on_log = Py_None, *result = NULL;
    Py_ssize_t ions = 12;
    int overwrite = 0, log_level = MSIZ_LOG_WARNING;
    char message[1024] = "";
    msiz_status st;
    (void)self;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O&O&|npOi", kwlist, PyUnicode_FSConverter,
                                     &store, PyUnicode_FSConverter, &html, &ions, &overwrite,
                                     &on_log, &log_level))
        goto cleanup;
    if (ions < 0) { /* the library refuses more than 100; a negative count is no size_t */
        PyErr_SetString(PyExc_ValueError, "ions: a count from 0 to 100");
        goto cleanup;
    }
    msiz_report_opts opts;
    msiz_report_opts_init(&opts);
    opts.ions = (size_t)ions;
    opts.overwrite = overwrite;
    core_log_set_level(log_level);
    Py_BEGIN_ALLOW_THREADS /* reads the whole store: seconds to minutes */
    msiz_clear_error();
    st = msiz_report_store(PyBytes_AsString(store), PyBytes_AsString(html), &opts);
    if (st < 0)
        snprintf(message, sizeof message, "%s", msiz_last_error());
    Py_END_ALLOW_THREADS if (deliver_logs(on_log) == 0) result =
        st < 0 ? raise_conversion_error(st, message) : (Py_INCREF(Py_None), Py_None);
cleanup:
    Py_XDECREF(store);
    Py_XDECREF(html);
    return result;
}

/* The option names msiz_convert_opts_set takes (for the package's own consistency test). */
static PyObject *core_option_names(PyObject *self, PyObject *unused)
{
    PyObject *names = PyList_New(0);
    const char *name;
    (void)self;
    (void)unused;
    for (size_t i = 0; names && (name = msiz_convert_opt_name(i, NULL)) != NULL; i++) {
        PyObject *text = PyUnicode_FromString(name);
        if (!text || PyList_Append(names, text) < 0) {
            Py_XDECREF(text);
            Py_CLEAR(names);
            break;
        }
        Py_DECREF(text);
    }
    return names;
}

static PyObject *core_version(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    return PyUnicode_FromString(msiz_version());
}

static PyMethodDef core_methods[] = {
    {"convert", (PyCFunction)(void (*)(void))core_convert, METH_VARARGS | METH_KEYWORDS,
     "convert(input, output, options, on_progress=None, on_log=None, log_level=1) -> dict\n\n"
     "Runs msiz_convert with options [(command-line name, text or None), ...]; returns the "
     "summary. Use msizarr.convert."},
    {"info", (PyCFunction)(void (*)(void))core_info, METH_VARARGS | METH_KEYWORDS,
     "info(path, verify_checksums=False, on_log=None, log_level=1) -> str\n\n"
     "The JSON text of msiz_source_info_json. Use msizarr.info."},
    {"report", (PyCFunction)(void (*)(void))core_report, METH_VARARGS | METH_KEYWORDS,
     "report(store, html, ions=12, overwrite=False, on_log=None, log_level=1) -> None\n\n"
     "Runs msiz_report_store. Use msizarr.report."},
    {"option_names", core_option_names, METH_NOARGS,
     "The msizarr convert option names the library parses."},
    {"version", core_version, METH_NOARGS, "The C library's version."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef core_module = {PyModuleDef_HEAD_INIT,
                                         "msizarr._core",
                                         "The C binding behind the msizarr package.",
                                         -1,
                                         core_methods,
                                         NULL,
                                         NULL,
                                         NULL,
                                         NULL};

PyMODINIT_FUNC PyInit__core(void); /* the module's one exported symbol */

PyMODINIT_FUNC PyInit__core(void)
{
    PyObject *m = PyModule_Create(&core_module);
    if (!m)
        return NULL;
    g_conversion_error = PyErr_NewExceptionWithDoc(
        "msizarr.ConversionError",
        "A conversion or an input failed; the message is the library's (file, item, problem).\n"
        "Attributes: code (the negative msiz_status), reason (its short description).",
        PyExc_ValueError, NULL);
    if (!g_conversion_error) {
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(g_conversion_error);
    if (PyModule_AddObject(m, "ConversionError", g_conversion_error) < 0 ||
        PyModule_AddIntConstant(m, "LOG_WARNING", MSIZ_LOG_WARNING) < 0 ||
        PyModule_AddIntConstant(m, "LOG_INFO", MSIZ_LOG_INFO) < 0 ||
        PyModule_AddIntConstant(m, "LOG_DEBUG", MSIZ_LOG_DEBUG) < 0 ||
        PyModule_AddIntConstant(m, "LOG_ERROR", MSIZ_LOG_ERROR) < 0) {
        Py_DECREF(g_conversion_error);
        Py_DECREF(m);
        return NULL;
    }
    core_log_install();
    return m;
}
