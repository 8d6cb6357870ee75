/* The scanner's per-character passes in one loop each (optional: reviewer/scan/accel.py falls back to numpy when this
 * module was not built, and tests/scan/test_accel.py checks that both give the same results).
 *
 * fold(text, info, single, table) -> (folded, starts, ends, orig)
 *     normalize.fold_map in two passes: every character that folds (info[c] & 0x80) into one other character
 *     (single[c], UTF-32, 0: none) is replaced; the others that fold, and astral characters, are looked up in `table`
 *     (normalize.fold_table(): character -> its fold) and deleted or expanded. starts, ends, orig: the offset map's
 *     arrays (int64, as normalize.OffsetMap): for every character whose fold is not one character, its folded start
 *     and end and its original index.
 * stream(folded, info) -> (clean, digits, gaps)
 *     What normalize.Stream needs from the folded text, in two passes: the class byte of every character (info & 0x7F,
 *     astral characters take info[0x10000]); the characters that are not noise (class above 'Z'), ASCII capitals
 *     lowercased and lone surrogates written as '?'; and, for each noise character, the number of clean characters
 *     before it (int64).
 * anchors(clean, prefix, prefix_bits, mix, anchor, check, anchor_bits, mix_anchor, mix_check, lengths)
 *     -> list[tuple[int, int]]
 *     The prefilter's places (prefilter.Prefilter._anchors without `longest`): every position whose 2-character hash
 *     is in the prefix bitmap and whose 2-, 3- or 4-character hash (for the anchor lengths in the bit mask `lengths`)
 *     is in both anchor bitmaps, as (position, length), by position. Hashes as in prefilter.py (FNV-1 prime, modulo
 *     2**32, slot = top bits of hash * multiplier); characters past the end read as NUL (prefilter.py pads with NULs).
 * places(gaps, positions) -> list[int]
 *     normalize.Stream.folded_places: each clean position p plus the number of gaps (sorted int64) that are <= p.
 *
 * Each pass is written once per width of the str's characters (1, 2 or 4 bytes), and every str is built at its exact
 * largest character (CPython compares strings by their compact form).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define FOLDS 0x80
#define NOISE_ABOVE 'Z'
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

/* a growable int64 array */
typedef struct {
    int64_t *items;
    Py_ssize_t size, cap;
} Longs;

static int
longs_add(Longs *a, int64_t v)
{
    if (a->size == a->cap) {
        Py_ssize_t cap = a->cap ? a->cap * 2 : 16;
        int64_t *items = PyMem_Realloc(a->items, (size_t)cap * sizeof(int64_t));
        if (items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        a->items = items;
        a->cap = cap;
    }
    a->items[a->size++] = v;
    return 0;
}

static PyObject *
longs_bytes(const Longs *a)
{
    return PyBytes_FromStringAndSize((const char *)a->items, a->size * (Py_ssize_t)sizeof(int64_t));
}

/* ------------------------------------------------------------------------------------------------------------ fold */

typedef struct {
    const uint8_t *info;
    const uint32_t *one;
    PyObject *table;
    Longs at;      /* original index of each character left to the table */
    PyObject *outs; /* what the table folds it into (a str; None: it stays) */
    Longs starts, ends, orig;
    Py_ssize_t length; /* of the folded text */
    Py_UCS4 top;       /* its largest character */
    int changed;
} Fold;

static Py_UCS4
largest(PyObject *s)
{
    Py_UCS4 top = 0;
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(s); i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c > top) top = c;
    }
    return top;
}

/* a character the one-character map does not cover: its fold from the table */
static int
fold_lookup(Fold *f, Py_ssize_t i, Py_UCS4 c)
{
    PyObject *key = PyUnicode_FromOrdinal((int)c);
    if (key == NULL)
        return -1;
    PyObject *out = PyDict_GetItemWithError(f->table, key);  /* borrowed */
    if (out == NULL && PyErr_Occurred()) {
        Py_DECREF(key);
        return -1;
    }
    int same = out == NULL || !PyUnicode_Check(out) || PyUnicode_Compare(out, key) == 0;
    Py_DECREF(key);
    if (same) {  /* an astral character that does not fold */
        if (c > f->top) f->top = c;
        f->length++;
        return 0;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(out);
    if (longs_add(&f->at, i) < 0 || PyList_Append(f->outs, out) < 0)
        return -1;
    if (n != 1) {  /* deleted or expanded: an entry of the offset map (a one-character fold moves no offset) */
        Py_ssize_t start = f->length;
        if (longs_add(&f->starts, start) < 0 || longs_add(&f->ends, start + n) < 0 || longs_add(&f->orig, i) < 0)
            return -1;
    }
    Py_UCS4 top = largest(out);
    if (top > f->top) f->top = top;
    f->length += n;
    f->changed = 1;
    return 0;
}

#define FOLD_COUNT(CHAR)                                                                                             \
    static int fold_count_##CHAR(Fold *f, const CHAR *s, Py_ssize_t n)                                               \
    {                                                                                                                \
        for (Py_ssize_t i = 0; i < n; i++) {                                                                         \
            Py_UCS4 c = s[i];                                                                                        \
            if (c <= 0xFFFF && !(f->info[c] & FOLDS)) {                                                              \
                if (c > f->top) f->top = c;                                                                          \
                f->length++;                                                                                         \
            } else if (c <= 0xFFFF && f->one[c]) {                                                                   \
                if (f->one[c] > f->top) f->top = f->one[c];                                                          \
                f->length++;                                                                                         \
                f->changed = 1;                                                                                      \
            } else if (fold_lookup(f, i, c) < 0) {                                                                   \
                return -1;                                                                                           \
            }                                                                                                        \
        }                                                                                                            \
        return 0;                                                                                                    \
    }                                                                                                                \
    static void fold_write_##CHAR(const Fold *f, const CHAR *s, Py_ssize_t n, int kind, void *out)                   \
    {                                                                                                                \
        Py_ssize_t o = 0, next = 0;                                                                                  \
        for (Py_ssize_t i = 0; i < n; i++) {                                                                         \
            Py_UCS4 c = s[i];                                                                                        \
            if (next < f->at.size && f->at.items[next] == i) {                                                       \
                PyObject *rep = PyList_GET_ITEM(f->outs, next);                                                      \
                int rk = PyUnicode_KIND(rep);                                                                        \
                const void *rd = PyUnicode_DATA(rep);                                                                \
                for (Py_ssize_t r = 0; r < PyUnicode_GET_LENGTH(rep); r++)                                           \
                    PyUnicode_WRITE(kind, out, o++, PyUnicode_READ(rk, rd, r));                                      \
                next++;                                                                                              \
                continue;                                                                                            \
            }                                                                                                        \
            if (c <= 0xFFFF && (f->info[c] & FOLDS) && f->one[c])                                                    \
                c = f->one[c];                                                                                       \
            PyUnicode_WRITE(kind, out, o++, c);                                                                      \
        }                                                                                                            \
    }

FOLD_COUNT(Py_UCS1)
FOLD_COUNT(Py_UCS2)
FOLD_COUNT(Py_UCS4)

static PyObject *
fold(PyObject *self, PyObject *args)
{
    PyObject *text, *table;
    Py_buffer info, single;
    if (!PyArg_ParseTuple(args, "Uy*y*O!", &text, &info, &single, &PyDict_Type, &table))
        return NULL;
    Fold f = {0};
    PyObject *folded = NULL, *result = NULL, *starts = NULL, *ends = NULL, *orig = NULL;
    if (read_table(&info, 0x10001, "info") < 0 || read_table(&single, 0x10000 * 4, "single") < 0)
        goto done;
    f.info = (const uint8_t *)info.buf;
    f.one = (const uint32_t *)single.buf;
    f.table = table;
    f.outs = PyList_New(0);
    if (f.outs == NULL)
        goto done;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int failed = kind == PyUnicode_1BYTE_KIND   ? fold_count_Py_UCS1(&f, data, n)
                 : kind == PyUnicode_2BYTE_KIND ? fold_count_Py_UCS2(&f, data, n)
                                                : fold_count_Py_UCS4(&f, data, n);
    if (failed)
        goto done;
    if (!f.changed) {
        folded = Py_NewRef(text);
    } else {
        folded = PyUnicode_New(f.length, f.top);
        if (folded == NULL)
            goto done;
        int okind = PyUnicode_KIND(folded);
        void *out = PyUnicode_DATA(folded);
        if (kind == PyUnicode_1BYTE_KIND)
            fold_write_Py_UCS1(&f, data, n, okind, out);
        else if (kind == PyUnicode_2BYTE_KIND)
            fold_write_Py_UCS2(&f, data, n, okind, out);
        else
            fold_write_Py_UCS4(&f, data, n, okind, out);
    }
    starts = longs_bytes(&f.starts);
    ends = longs_bytes(&f.ends);
    orig = longs_bytes(&f.orig);
    if (starts && ends && orig)
        result = PyTuple_Pack(4, folded, starts, ends, orig);
done:
    Py_XDECREF(folded);
    Py_XDECREF(starts);
    Py_XDECREF(ends);
    Py_XDECREF(orig);
    Py_XDECREF(f.outs);
    PyMem_Free(f.at.items);
    PyMem_Free(f.starts.items);
    PyMem_Free(f.ends.items);
    PyMem_Free(f.orig.items);
    PyBuffer_Release(&info);
    PyBuffer_Release(&single);
    return result;
}

/* ---------------------------------------------------------------------------------------------------------- stream */

static inline Py_UCS4
kept_char(Py_UCS4 c)
{
    if (c - 0x41u < 26u)  /* ASCII capitals lowercased (as bytes.lower) */
        return c + 0x20;
    if (c - 0xD800u < 0x800u)  /* a lone surrogate: '?', as the keys' UTF-8 encoding with "replace" makes it */
        return 0x3F;
    return c;
}

#define STREAM_PASSES(CHAR)                                                                                          \
    static Py_ssize_t stream_classes_##CHAR(const uint8_t *info, const CHAR *s, Py_ssize_t n, uint8_t *d,            \
                                            Py_UCS4 *top)                                                            \
    {                                                                                                                \
        Py_ssize_t noise = 0;                                                                                        \
        Py_UCS4 t = 0;                                                                                               \
        for (Py_ssize_t i = 0; i < n; i++) {                                                                         \
            Py_UCS4 c = s[i];                                                                                        \
            uint8_t cls = info[c > 0xFFFF ? 0x10000 : c] & 0x7F;                                                     \
            d[i] = cls;                                                                                              \
            if (cls > NOISE_ABOVE) {                                                                                 \
                noise++;                                                                                             \
            } else {                                                                                                 \
                c = kept_char(c);                                                                                    \
                if (c > t) t = c;                                                                                    \
            }                                                                                                        \
        }                                                                                                            \
        *top = t;                                                                                                    \
        return noise;                                                                                                \
    }                                                                                                                \
    static void stream_split_##CHAR(const CHAR *s, Py_ssize_t n, const uint8_t *d, int kind, void *out, int64_t *g)  \
    {                                                                                                                \
        Py_ssize_t at = 0, j = 0;                                                                                    \
        for (Py_ssize_t i = 0; i < n; i++) {                                                                         \
            if (d[i] > NOISE_ABOVE) {                                                                                \
                g[j] = (int64_t)(i - j);                                                                             \
                j++;                                                                                                 \
            } else {                                                                                                 \
                PyUnicode_WRITE(kind, out, at, kept_char(s[i]));                                                     \
                at++;                                                                                                \
            }                                                                                                        \
        }                                                                                                            \
    }

STREAM_PASSES(Py_UCS1)
STREAM_PASSES(Py_UCS2)
STREAM_PASSES(Py_UCS4)

static PyObject *
stream(PyObject *self, PyObject *args)
{
    PyObject *folded;
    Py_buffer info;
    if (!PyArg_ParseTuple(args, "Uy*", &folded, &info))
        return NULL;
    PyObject *digits = NULL, *gaps = NULL, *clean = NULL, *result = NULL;
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
    Py_UCS4 top = 0;
    Py_ssize_t noise = kind == PyUnicode_1BYTE_KIND   ? stream_classes_Py_UCS1(table, data, n, d, &top)
                       : kind == PyUnicode_2BYTE_KIND ? stream_classes_Py_UCS2(table, data, n, d, &top)
                                                      : stream_classes_Py_UCS4(table, data, n, d, &top);
    clean = PyUnicode_New(n - noise, top);
    gaps = PyByteArray_FromStringAndSize(NULL, noise * 8);
    if (clean == NULL || gaps == NULL)
        goto done;
    int okind = PyUnicode_KIND(clean);
    void *out = PyUnicode_DATA(clean);
    int64_t *g = (int64_t *)PyByteArray_AS_STRING(gaps);
    if (kind == PyUnicode_1BYTE_KIND)
        stream_split_Py_UCS1(data, n, d, okind, out, g);
    else if (kind == PyUnicode_2BYTE_KIND)
        stream_split_Py_UCS2(data, n, d, okind, out, g);
    else
        stream_split_Py_UCS4(data, n, d, okind, out, g);
    result = PyTuple_Pack(3, clean, digits, gaps);
done:
    Py_XDECREF(clean);
    Py_XDECREF(digits);
    Py_XDECREF(gaps);
    PyBuffer_Release(&info);
    return result;
}

/* --------------------------------------------------------------------------------------------------------- anchors */

static inline int
member(const uint32_t *table, uint32_t slot)
{
    return (table[slot >> 5] >> (slot & 31)) & 1;
}

typedef struct {
    const uint32_t *prefix, *anchor, *check;
    uint32_t mix, mix_anchor, mix_check;
    unsigned int prefix_shift, anchor_shift, lengths;
    int longest;
} Tables;

static int
add_place(PyObject *out, Py_ssize_t i, int k)
{
    PyObject *place = Py_BuildValue("(ni)", i, k);
    if (place == NULL || PyList_Append(out, place) < 0) {
        Py_XDECREF(place);
        return -1;
    }
    Py_DECREF(place);
    return 0;
}

#define ANCHOR_LOOP(CHAR)                                                                                            \
    static int anchors_##CHAR(const Tables *t, const CHAR *c, Py_ssize_t total, PyObject *out)                       \
    {                                                                                                                \
        for (Py_ssize_t i = 0; i + 1 < total; i++) {                                                                 \
            uint32_t h = (uint32_t)c[i] * FNV + (uint32_t)c[i + 1];                                                  \
            if (!member(t->prefix, (h * t->mix) >> t->prefix_shift))                                                 \
                continue;                                                                                            \
            for (int k = 2; k <= t->longest; k++) {                                                                  \
                if (k > 2)                                                                                           \
                    h = h * FNV + (i + k - 1 < total ? (uint32_t)c[i + k - 1] : 0u);                                 \
                if ((t->lengths & (1u << k)) && member(t->anchor, (h * t->mix_anchor) >> t->anchor_shift) &&         \
                    member(t->check, (h * t->mix_check) >> t->anchor_shift) && add_place(out, i, k) < 0)             \
                    return -1;                                                                                       \
            }                                                                                                        \
        }                                                                                                            \
        return 0;                                                                                                    \
    }

ANCHOR_LOOP(Py_UCS1)
ANCHOR_LOOP(Py_UCS2)
ANCHOR_LOOP(Py_UCS4)

static PyObject *
anchors(PyObject *self, PyObject *args)
{
    PyObject *clean;
    Py_buffer prefix, anchor, check;
    unsigned int prefix_bits, anchor_bits, lengths;
    unsigned long mix, mix_anchor, mix_check;
    if (!PyArg_ParseTuple(args, "Uy*Iky*y*IkkI", &clean, &prefix, &prefix_bits, &mix, &anchor, &check,
                          &anchor_bits, &mix_anchor, &mix_check, &lengths))
        return NULL;
    PyObject *out = NULL;
    if (prefix_bits < 5 || prefix_bits > 31 || anchor_bits < 5 || anchor_bits > 31) {
        PyErr_SetString(PyExc_ValueError, "bitmap sizes out of range");
        goto done;
    }
    if (read_table(&prefix, ((Py_ssize_t)1 << prefix_bits) / 8, "prefix") < 0 ||
        read_table(&anchor, ((Py_ssize_t)1 << anchor_bits) / 8, "anchor") < 0 ||
        read_table(&check, ((Py_ssize_t)1 << anchor_bits) / 8, "check") < 0)
        goto done;
    Tables t = {prefix.buf, anchor.buf, check.buf, (uint32_t)mix, (uint32_t)mix_anchor, (uint32_t)mix_check,
                32 - prefix_bits, 32 - anchor_bits, lengths, 0};
    for (int k = 2; k <= 4; k++)
        if (lengths & (1u << k)) t.longest = k;
    const void *data = PyUnicode_DATA(clean);
    Py_ssize_t total = PyUnicode_GET_LENGTH(clean);
    out = PyList_New(0);
    if (out == NULL)
        goto done;
    int kind = PyUnicode_KIND(clean);
    int failed = kind == PyUnicode_1BYTE_KIND   ? anchors_Py_UCS1(&t, data, total, out)
                 : kind == PyUnicode_2BYTE_KIND ? anchors_Py_UCS2(&t, data, total, out)
                                                : anchors_Py_UCS4(&t, data, total, out);
    if (failed)
        Py_CLEAR(out);
done:
    PyBuffer_Release(&prefix);
    PyBuffer_Release(&anchor);
    PyBuffer_Release(&check);
    return out;
}

/* ------------------------------------------------------------------------------------------------------ places */

static PyObject *
places(PyObject *self, PyObject *args)
{
    Py_buffer gaps;
    PyObject *positions;
    if (!PyArg_ParseTuple(args, "y*O!", &gaps, &PyList_Type, &positions))
        return NULL;
    PyObject *out = NULL;
    if (gaps.len % 8 != 0) {
        PyErr_SetString(PyExc_ValueError, "gaps: not a whole number of int64");
        goto done;
    }
    const int64_t *g = (const int64_t *)gaps.buf;
    Py_ssize_t size = gaps.len / 8, n = PyList_GET_SIZE(positions);
    out = PyList_New(n);
    if (out == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        long long p = PyLong_AsLongLong(PyList_GET_ITEM(positions, i));
        if (p == -1 && PyErr_Occurred()) {
            Py_CLEAR(out);
            goto done;
        }
        Py_ssize_t lo = 0, hi = size;  /* the number of gaps <= p (numpy.searchsorted(gaps, p, side="right")) */
        while (lo < hi) {
            Py_ssize_t mid = lo + (hi - lo) / 2;
            if (g[mid] <= p)
                lo = mid + 1;
            else
                hi = mid;
        }
        PyObject *v = PyLong_FromLongLong(p + lo);
        if (v == NULL) {
            Py_CLEAR(out);
            goto done;
        }
        PyList_SET_ITEM(out, i, v);
    }
done:
    PyBuffer_Release(&gaps);
    return out;
}

static PyMethodDef methods[] = {
    {"fold", fold, METH_VARARGS, "(folded, starts, ends, orig): the folded text and its offset map's arrays."},
    {"stream", stream, METH_VARARGS, "(clean, digits, gaps) of a folded text."},
    {"anchors", anchors, METH_VARARGS, "The prefilter's (position, anchor length) places."},
    {"places", places, METH_VARARGS, "Folded positions of clean positions: p + the number of gaps <= p."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_accel", NULL, -1, methods};

PyMODINIT_FUNC
PyInit__accel(void)
{
    return PyModule_Create(&module);
}
