/* The mixer's kernels for the audio thread: the pads' steady runs copied into their rows, the rows summed at
 * their gains and folded into the meters' hold, each in one call for every pad.
 *
 * In a steady block a pad's frames are the next ``n`` of its buffer as they are (see PadVoice.render): the
 * engine copied them pad by pad with numpy, a slice and a copy each. Here every such pad's two channels are
 * copied in one call, from a table of the buffers' addresses the voices keep (the buffers themselves are
 * held by the voices, which hand a replaced one to the control side to free). Nothing allocates or locks. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

/* steady(rows, n, count, mask, table, offsets) -> how many rows were copied
 * rows: ``count`` planar (2, n) float32 blocks one after another; mask: a bit for each row to fill;
 * table: (count, 2) int64, each pad's buffer's address (0: none) and its frames (a (2, frames) C-contiguous
 * float32 array); offsets: (count,) int64, the first frame to copy. A row whose frames would run past its
 * buffer is left alone (the caller's numpy path copies what it can). */
static PyObject *steady(PyObject *self, PyObject *args) {
    Py_buffer rows, table, offsets;
    Py_ssize_t n, count;
    unsigned long long mask;
    if (!PyArg_ParseTuple(args, "w*nnKw*w*", &rows, &n, &count, &mask, &table, &offsets)) return NULL;
    int ok = count >= 0 && count <= 64 && n >= 0 && (Py_ssize_t)rows.len >= (Py_ssize_t)(count * 2 * n * sizeof(float)) &&
             table.len >= (Py_ssize_t)(count * 2 * sizeof(long long)) &&
             offsets.len >= (Py_ssize_t)(count * sizeof(long long));
    long copied = 0;
    if (ok) {
        float *x = (float *)rows.buf;
        const long long *t = (const long long *)table.buf, *off = (const long long *)offsets.buf;
        for (Py_ssize_t i = 0; i < count; i++) {
            if (!((mask >> i) & 1ULL)) continue;
            const float *src = (const float *)(uintptr_t)t[2 * i];
            long long frames = t[2 * i + 1], j = off[i];
            if (src == NULL || j < 0 || j + n > frames) continue;
            memcpy(x + i * 2 * n, src + j, (size_t)n * sizeof(float));
            memcpy(x + i * 2 * n + n, src + frames + j, (size_t)n * sizeof(float));
            copied++;
        }
    }
    PyBuffer_Release(&rows);
    PyBuffer_Release(&table);
    PyBuffer_Release(&offsets);
    if (!ok) return PyErr_Format(PyExc_ValueError, "steady: the rows or a table is too small");
    return PyLong_FromLong(copied);
}

/* mixdown(rows, n, count, mask, gains, mix) -> None
 * The pads' rows at their gains, summed: each row in ``mask`` (the rows that hold sound; the others are
 * silent) is multiplied in place by its pad's gains (``gains``: (count, 2) float32, left and right), and ``mix``
 * ((2, n) float32) becomes their sum, added in the pads' order — the samples numpy's in-place multiply and
 * sum over the rows give, bit for bit (the same float32 operations in the same order, none fused). */
static PyObject *mixdown(PyObject *self, PyObject *args) {
    Py_buffer rows, gains, mix;
    Py_ssize_t n, count;
    unsigned long long mask;
    if (!PyArg_ParseTuple(args, "w*nnKw*w*", &rows, &n, &count, &mask, &gains, &mix)) return NULL;
    int ok = count >= 0 && count <= 64 && n >= 0 && (Py_ssize_t)rows.len >= (Py_ssize_t)(count * 2 * n * sizeof(float)) &&
             gains.len >= (Py_ssize_t)(count * 2 * sizeof(float)) && mix.len >= (Py_ssize_t)(2 * n * sizeof(float));
    if (ok) {
        float *x = (float *)rows.buf, *g = (float *)gains.buf, *m = (float *)mix.buf;
        memset(m, 0, (size_t)(2 * n) * sizeof(float));
        for (Py_ssize_t i = 0; i < count; i++) {
            if (!((mask >> i) & 1ULL)) continue;
            for (int c = 0; c < 2; c++) {
                float gain = g[2 * i + c], *row = x + (i * 2 + c) * n, *into = m + c * n;
                for (Py_ssize_t k = 0; k < n; k++) {
                    float v = row[k] * gain;
                    row[k] = v;
                    into[k] += v;
                }
            }
        }
    }
    PyBuffer_Release(&rows);
    PyBuffer_Release(&gains);
    PyBuffer_Release(&mix);
    if (!ok) return PyErr_Format(PyExc_ValueError, "mixdown: the rows, the gains or the mix is too small");
    Py_RETURN_NONE;
}

/* hold(rows, n, count, mask, hold) -> None
 * The pads' peak hold, frame by frame: each row in ``mask`` folded into its (2·n) row of ``hold`` by the
 * elementwise maximum of magnitudes (a NaN is kept, as numpy's maximum keeps it). */
static PyObject *hold(PyObject *self, PyObject *args) {
    Py_buffer rows, held;
    Py_ssize_t n, count;
    unsigned long long mask;
    if (!PyArg_ParseTuple(args, "w*nnKw*", &rows, &n, &count, &mask, &held)) return NULL;
    int ok = count >= 0 && count <= 64 && n >= 0 && (Py_ssize_t)rows.len >= (Py_ssize_t)(count * 2 * n * sizeof(float)) &&
             (Py_ssize_t)held.len >= (Py_ssize_t)(count * 2 * n * sizeof(float));
    if (ok) {
        const float *x = (const float *)rows.buf;
        float *h = (float *)held.buf;
        for (Py_ssize_t i = 0; i < count; i++) {
            if (!((mask >> i) & 1ULL)) continue;
            const float *row = x + i * 2 * n;
            float *into = h + i * 2 * n;
            for (Py_ssize_t k = 0; k < 2 * n; k++) {
                float a = fabsf(row[k]);
                into[k] = (a > into[k] || a != a) ? a : into[k];
            }
        }
    }
    PyBuffer_Release(&rows);
    PyBuffer_Release(&held);
    if (!ok) return PyErr_Format(PyExc_ValueError, "hold: the rows or the hold is too small");
    Py_RETURN_NONE;
}

static PyMethodDef METHODS[] = {
    {"steady", steady, METH_VARARGS, "The pads' steady runs copied into their rows in one call (see the source)."},
    {"mixdown", mixdown, METH_VARARGS, "The pads' rows at their gains, summed into the mix (see the source)."},
    {"hold", hold, METH_VARARGS, "The pads' peak hold, frame by frame (see the source)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "_mix", "The mixer's kernels for the audio thread.", -1,
                                    METHODS};

PyMODINIT_FUNC PyInit__mix(void) { return PyModule_Create(&MODULE); }
