/* The scanner's per-character passes in one loop each (optional: reviewer/scan/accel.py falls back to numpy when this
 * module was not built, and tests/scan/test_accel.py checks that both give the same results).
 *
 * fold(text, info, single) -> (str, list[int])
 *     The text with every character that folds (info[c] & 0x80) into one other character (single[c], UTF-32, 0: none)
 *     replaced, and the positions of the characters left for the caller (deleted or expanded by folding, or astral,
 *     which are looked up one by one). A one-character replacement moves no offset, so those positions are the same
 *     in the text and in the returned str.
 * stream(folded, info) -> (clean, codes, digits, gaps)
 *     What normalize.Stream needs from the folded text, in one pass: the class byte of every character (info & 0x7F,
 *     astral characters take info[0x10000]); the characters that are not noise (class above 'Z'), ASCII capitals
 *     lowercased and lone surrogates written as '?', as a str and as UTF-32 code points followed by PAD zeros; and,
 *     for each noise character, the number of clean characters before it (int64).
 * anchors(codes, total, prefix, prefix_bits, mix, anchor, check, anchor_bits, mix_anchor, mix_check, lengths)
 *     -> list[tuple[int, int]]
 *     The prefilter's places (prefilter.Prefilter._anchors without `longest`): every position whose 2-character hash
 *     is in the prefix bitmap and whose 2-, 3- or 4-character hash (for the anchor lengths in the bit mask `lengths`)
 *     is in both anchor bitmaps, as (position, length), by position. Hashes as in prefilter.py (FNV-1 prime, modulo
 *     2**32, slot = top bits of hash * multiplier). `codes` holds at least total + 3 code points (NUL padding).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define FOLDS 0x80
#define NOISE_ABOVE 'Z'
#define PAD 4
#define FNV 0x01000193u

static int
read_table(Py_buffer *view, Py_ssize_t need, const char *what)
{
    if (view->len < need) {
        PyErr_Format(PyExc_ValueError, "%s: %zd bytes, at least %zd needed", what, view->len, need);
        return -1;
    }
    return 0;
}

static PyObject *
fold(PyObject *self, PyObject *args)
{
    PyObject *text;
    Py_buffer info, single;
    if (!PyArg_ParseTuple(args, "Uy*y*", &text, &info, &single))
        return NULL;
    PyObject *moves = NULL, *folded = NULL, *result = NULL;
    Py_UCS4 *buf = NULL;
    if (read_table(&info, 0x10001, "info") < 0 || read_table(&single, 0x10000 * 4, "single") < 0)
        goto done;
    const uint8_t *table = (const uint8_t *)info.buf;
    const uint32_t *one = (const uint32_t *)single.buf;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    moves = PyList_New(0);
    if (moves == NULL)
        goto done;
    Py_ssize_t first = -1;  /* the first one-character replacement */
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c <= 0xFFFF && !(table[c] & FOLDS))
            continue;
        if (c <= 0xFFFF && one[c]) {
            if (first < 0)
                first = i;
            continue;
        }
        PyObject *v = PyLong_FromSsize_t(i);
        if (v == NULL || PyList_Append(moves, v) < 0) {
            Py_XDECREF(v);
            goto done;
        }
        Py_DECREF(v);
    }
    if (first < 0) {
        folded = Py_NewRef(text);
    } else {
        buf = PyMem_Malloc((size_t)n * sizeof(Py_UCS4) + 1);
        if (buf == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, i);
            buf[i] = (i >= first && c <= 0xFFFF && (table[c] & FOLDS) && one[c]) ? one[c] : c;
        }
        folded = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, n);
        if (folded == NULL)
            goto done;
    }
    result = PyTuple_Pack(2, folded, moves);
done:
    PyMem_Free(buf);
    Py_XDECREF(folded);
    Py_XDECREF(moves);
    PyBuffer_Release(&info);
    PyBuffer_Release(&single);
    return result;
}

static PyObject *
stream(PyObject *self, PyObject *args)
{
    PyObject *folded;
    Py_buffer info;
    if (!PyArg_ParseTuple(args, "Uy*", &folded, &info))
        return NULL;
    PyObject *digits = NULL, *codes = NULL, *gaps = NULL, *clean = NULL, *result = NULL;
    if (read_table(&info, 0x10001, "info") < 0)
        goto done;
    const uint8_t *table = (const uint8_t *)info.buf;
    int kind = PyUnicode_KIND(folded);
    const void *data = PyUnicode_DATA(folded);
    Py_ssize_t n = PyUnicode_GET_LENGTH(folded);
    digits = PyBytes_FromStringAndSize(NULL, n);
    if (digits == NULL)
        goto done;
    uint8_t *d = (uint8_t *)PyBytes_AS_STRING(digits);
    Py_ssize_t noise = 0;
    for (Py_ssize_t i = 0; i < n; i++) {  /* the classes, and how many characters are noise */
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        uint8_t cls = table[c > 0xFFFF ? 0x10000 : c] & 0x7F;
        d[i] = cls;
        noise += cls > NOISE_ABOVE;
    }
    Py_ssize_t k = n - noise;
    codes = PyByteArray_FromStringAndSize(NULL, (k + PAD) * 4);
    gaps = PyByteArray_FromStringAndSize(NULL, noise * 8);
    if (codes == NULL || gaps == NULL)
        goto done;
    uint32_t *kept = (uint32_t *)PyByteArray_AS_STRING(codes);
    int64_t *g = (int64_t *)PyByteArray_AS_STRING(gaps);
    Py_ssize_t at = 0, j = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (d[i] > NOISE_ABOVE) {
            g[j] = (int64_t)(i - j);
            j++;
            continue;
        }
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c - 0x41u < 26u)
            c += 0x20;
        else if (c - 0xD800u < 0x800u)
            c = 0x3F;
        kept[at++] = (uint32_t)c;
    }
    memset(kept + k, 0, PAD * 4);
    clean = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, kept, k);
    if (clean == NULL)
        goto done;
    result = PyTuple_Pack(4, clean, codes, digits, gaps);
done:
    Py_XDECREF(clean);
    Py_XDECREF(digits);
    Py_XDECREF(codes);
    Py_XDECREF(gaps);
    PyBuffer_Release(&info);
    return result;
}

static inline int
member(const uint32_t *table, uint32_t slot)
{
    return (table[slot >> 5] >> (slot & 31)) & 1;
}

static PyObject *
anchors(PyObject *self, PyObject *args)
{
    Py_buffer codes, prefix, anchor, check;
    Py_ssize_t total;
    unsigned int prefix_bits, anchor_bits, lengths;
    unsigned long mix, mix_anchor, mix_check;
    if (!PyArg_ParseTuple(args, "y*ny*Iky*y*IkkI", &codes, &total, &prefix, &prefix_bits, &mix, &anchor, &check,
                          &anchor_bits, &mix_anchor, &mix_check, &lengths))
        return NULL;
    PyObject *out = NULL;
    if (prefix_bits < 5 || prefix_bits > 31 || anchor_bits < 5 || anchor_bits > 31) {
        PyErr_SetString(PyExc_ValueError, "bitmap sizes out of range");
        goto done;
    }
    if (total < 0 || read_table(&codes, (total + 3) * 4, "codes") < 0 ||
        read_table(&prefix, ((Py_ssize_t)1 << prefix_bits) / 8, "prefix") < 0 ||
        read_table(&anchor, ((Py_ssize_t)1 << anchor_bits) / 8, "anchor") < 0 ||
        read_table(&check, ((Py_ssize_t)1 << anchor_bits) / 8, "check") < 0)
        goto done;
    const uint32_t *c = (const uint32_t *)codes.buf;
    const uint32_t *pt = (const uint32_t *)prefix.buf;
    const uint32_t *at = (const uint32_t *)anchor.buf;
    const uint32_t *ct = (const uint32_t *)check.buf;
    const uint32_t m = (uint32_t)mix, ma = (uint32_t)mix_anchor, mc = (uint32_t)mix_check;
    const unsigned int ps = 32 - prefix_bits, as = 32 - anchor_bits;
    int longest = 0;
    for (int n = 2; n <= 4; n++)
        if (lengths & (1u << n)) longest = n;
    out = PyList_New(0);
    if (out == NULL)
        goto done;
    for (Py_ssize_t i = 0; i + 1 < total; i++) {
        uint32_t h = c[i] * FNV + c[i + 1];
        if (!member(pt, (h * m) >> ps))
            continue;
        for (int n = 2; n <= longest; n++) {
            if (n > 2)
                h = h * FNV + c[i + n - 1];
            if ((lengths & (1u << n)) && member(at, (h * ma) >> as) && member(ct, (h * mc) >> as)) {
                PyObject *place = Py_BuildValue("(ni)", i, n);
                if (place == NULL || PyList_Append(out, place) < 0) {
                    Py_XDECREF(place);
                    Py_CLEAR(out);
                    goto done;
                }
                Py_DECREF(place);
            }
        }
    }
done:
    PyBuffer_Release(&codes);
    PyBuffer_Release(&prefix);
    PyBuffer_Release(&anchor);
    PyBuffer_Release(&check);
    return out;
}

static PyMethodDef methods[] = {
    {"fold", fold, METH_VARARGS, "The text with its one-character folds made, and the places left to splice."},
    {"stream", stream, METH_VARARGS, "(clean, codes, digits, gaps) of a folded text."},
    {"anchors", anchors, METH_VARARGS, "The prefilter's (position, anchor length) places."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_accel", NULL, -1, methods};

PyMODINIT_FUNC
PyInit__accel(void)
{
    return PyModule_Create(&module);
}
