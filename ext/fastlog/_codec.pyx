# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled Kafka wire codec: same API and byte-identical results as fastlog.protocol._codec_py.

The schema plans of fastlog.protocol.schema are turned once per (api, version) into typed
objects (CPlan / CField) whose fields are plain C ints, so decoding and encoding walk them with
a C switch over raw pointers. Every read is bounds-checked against the frame: malformed input
raises CodecError and never reads past the buffer.
"""
cimport cython
from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_CheckBuffer, PyObject_GetBuffer
from cpython.dict cimport PyDict_GetItem, PyDict_Size
from cpython.object cimport PyObject
from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.unicode cimport PyUnicode_AsUTF8String, PyUnicode_DecodeUTF8


cdef extern from "Python.h":
    const char* PyUnicode_AsUTF8AndSize(object unicode, Py_ssize_t* size) except NULL
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy

from uuid import UUID as _UUIDType

from fastlog.protocol import schema as _schema
from fastlog.protocol.schema import API_NAMES, CodecError, is_flexible, request_versions

__all__ = [
    "API_NAMES", "CodecError", "decode_request", "decode_request_header", "decode_response",
    "encode_request", "encode_response", "is_flexible", "request_versions",
]
cdef enum:
    K_INT8 = 1
    K_INT16 = 2
    K_INT32 = 3
    K_INT64 = 4
    K_UINT16 = 5
    K_FLOAT64 = 6
    K_BOOL = 7
    K_STRING = 8
    K_BYTES = 9
    K_UUID = 10
    K_RECORDS = 11
    K_STRUCT = 12
    MAX_STRING = 0x7FFF
    MAX_KEY = 256
    MAX_VERSION = 32

assert (_schema.INT8, _schema.INT16, _schema.INT32, _schema.INT64, _schema.UINT16, _schema.FLOAT64,
        _schema.BOOL, _schema.STRING, _schema.BYTES, _schema.UUID, _schema.RECORDS,
        _schema.STRUCT) == tuple(range(1, 13)), "kind codes out of step with schema.py"

cdef object _fresh_default = _schema.fresh_default
cdef object _default_struct = _schema.default_struct
cdef object _unknown_fields_error = _schema.unknown_fields_error
cdef object _MISSING = object()


# ------------------------------------------------------------------------------------------
# Compiled plans

@cython.final
cdef class CField:
    cdef object name
    cdef int kind
    cdef bint is_array
    cdef bint nullable
    cdef int tag
    cdef CPlan child
    cdef object fp          # the schema FieldPlan, for defaults
    cdef object default     # immutable default (when not mutable)
    cdef bint mutable       # default must be made fresh (list / struct dict)


@cython.final
cdef class CPlan:
    cdef tuple fields
    cdef Py_ssize_t nfields
    cdef tuple tagged
    cdef Py_ssize_t ntagged
    cdef tuple absent
    cdef Py_ssize_t nabsent
    cdef object sp          # the schema StructPlan, for the error message


@cython.final
cdef class CMessage:
    cdef bint flexible
    cdef CPlan body


cdef CField _compile_field(object fp):
    cdef CField f = CField.__new__(CField)
    f.name = fp.name
    f.kind = fp.kind
    f.is_array = fp.is_array
    f.nullable = fp.nullable
    f.tag = fp.tag
    f.child = _compile_struct(fp.child) if fp.child is not None else None
    f.fp = fp
    f.default = fp.default
    f.mutable = fp.default is not None and (fp.is_array or fp.kind == K_STRUCT)
    return f


cdef CPlan _compile_struct(object sp):
    cdef CPlan p = CPlan.__new__(CPlan)
    p.fields = tuple([_compile_field(x) for x in sp.fields])
    p.nfields = len(p.fields)
    p.tagged = tuple([_compile_field(x) for x in sp.tagged])
    p.ntagged = len(p.tagged)
    p.absent = tuple([_compile_field(x) for x in sp.absent])
    p.nabsent = len(p.absent)
    p.sp = sp
    return p


# Plans by api_key * MAX_VERSION + version, built on first use.
cdef list _REQ_PLANS = [None] * (MAX_KEY * MAX_VERSION)
cdef list _RESP_PLANS = [None] * (MAX_KEY * MAX_VERSION)

# Header version of each request: flexible versions use request header v2.
cdef int16_t _req_min[MAX_KEY]
cdef int16_t _req_max[MAX_KEY]
cdef int16_t _flex_min[MAX_KEY]
cdef int _i
for _i in range(MAX_KEY):
    _req_min[_i] = 1
    _req_max[_i] = 0
    _flex_min[_i] = 0x7FFF
for _key, _msg in _schema.REQUESTS.items():
    if 0 <= _key < MAX_KEY:
        _req_min[_key] = _msg.versions[0]
        _req_max[_key] = min(_msg.versions[1], 0x7FFF)
        _flex_min[_key] = min(_msg.flexible[0], 0x7FFF) if _msg.flexible[0] <= _msg.flexible[1] else 0x7FFF


cdef inline bint _flexible_request(int api_key, int version):
    if api_key < 0 or api_key >= MAX_KEY:
        return False
    return _req_min[api_key] <= version <= _req_max[api_key] and version >= _flex_min[api_key]


cdef CMessage _plan(bint request, int api_key, int version):
    cdef list cache = _REQ_PLANS if request else _RESP_PLANS
    cdef Py_ssize_t idx
    cdef CMessage m
    if 0 <= api_key < MAX_KEY and 0 <= version < MAX_VERSION:
        idx = api_key * MAX_VERSION + version
        obj = cache[idx]
        if obj is not None:
            return <CMessage>obj
    else:
        idx = -1
    mp = _schema.plan("request" if request else "response", api_key, version)  # CodecError if unknown
    m = CMessage.__new__(CMessage)
    m.flexible = mp.flexible
    m.body = _compile_struct(mp.body)
    if idx >= 0:
        cache[idx] = m
    return m


# ------------------------------------------------------------------------------------------
# Decoding

cdef struct Reader:
    const uint8_t* p
    Py_ssize_t pos
    Py_ssize_t end


@cython.final
cdef class _Src:
    """The decoded buffer, and a memoryview of it made on the first records field."""
    cdef object buf
    cdef object view

    cdef object slice(self, Py_ssize_t start, Py_ssize_t n):
        if self.view is None:
            v = memoryview(self.buf)
            if v.format != "B" or v.ndim != 1:
                v = v.cast("B")
            self.view = v
        return self.view[start:start + n]


cdef int _truncated(Reader* r, Py_ssize_t n) except -1:
    raise CodecError(f"truncated: need {n} bytes at {r.pos}, have {r.end - r.pos}")


cdef inline Py_ssize_t _need(Reader* r, Py_ssize_t n) except -1:
    """Reserve n bytes; returns their start."""
    cdef Py_ssize_t p = r.pos
    if n < 0 or n > r.end - p:
        _truncated(r, n)
    r.pos = p + n
    return p


cdef inline int8_t _i8(Reader* r) except? -1:
    cdef Py_ssize_t p = _need(r, 1)
    return <int8_t>r.p[p]


cdef inline int16_t _i16(Reader* r) except? -1:
    cdef Py_ssize_t p = _need(r, 2)
    return <int16_t>((<uint16_t>r.p[p] << 8) | r.p[p + 1])


cdef inline uint16_t _u16(Reader* r) except? 0xFFFF:
    cdef Py_ssize_t p = _need(r, 2)
    return <uint16_t>((<uint16_t>r.p[p] << 8) | r.p[p + 1])


cdef inline int32_t _i32(Reader* r) except? -1:
    cdef Py_ssize_t p = _need(r, 4)
    cdef const uint8_t* b = r.p + p
    return <int32_t>((<uint32_t>b[0] << 24) | (<uint32_t>b[1] << 16) | (<uint32_t>b[2] << 8) | b[3])


cdef inline uint64_t _u64(Reader* r) except? 0xFFFFFFFFFFFFFFFF:
    cdef Py_ssize_t p = _need(r, 8)
    cdef const uint8_t* b = r.p + p
    cdef uint64_t v = 0
    cdef int i
    for i in range(8):
        v = (v << 8) | b[i]
    return v


cdef int64_t _uvarint(Reader* r) except -1:
    """Unsigned varint of at most 5 bytes (Kafka's 32-bit limit)."""
    cdef uint64_t value = 0
    cdef int shift = 0
    cdef uint8_t b
    while shift <= 28:
        if r.pos >= r.end:
            _truncated(r, 1)
        b = r.p[r.pos]
        r.pos += 1
        value |= <uint64_t>(b & 0x7F) << shift
        if not (b & 0x80):
            if value > 0xFFFFFFFF:
                break
            return <int64_t>value
        shift += 7
    raise CodecError("malformed unsigned varint")


cdef inline int64_t _length(Reader* r, bint flex, bint wide) except? -2:
    """A length or count; -1 is null. wide = int32 (bytes, arrays) rather than int16."""
    if flex:
        return _uvarint(r) - 1
    if wide:
        return _i32(r)
    return _i16(r)


cdef object _string(Reader* r, Py_ssize_t n):
    cdef Py_ssize_t p = _need(r, n)
    try:
        return PyUnicode_DecodeUTF8(<const char*>(r.p + p), n, NULL)
    except UnicodeDecodeError:
        raise CodecError(f"invalid UTF-8 string at {p}") from None


cdef object _read_value(Reader* r, CField f, int kind, bint flex, _Src src):
    cdef int64_t n
    cdef Py_ssize_t p
    cdef uint64_t u
    cdef double d
    if kind == K_INT32:
        return _i32(r)
    elif kind == K_INT64:
        return <int64_t>_u64(r)
    elif kind == K_INT16:
        return _i16(r)
    elif kind == K_STRING:
        n = _length(r, flex, False)
        if n < 0:
            if n == -1 and f.nullable and not f.is_array:
                return None
            raise CodecError(f"bad string length {n} for {f.name}")
        if n > MAX_STRING:
            raise CodecError(f"string too long for {f.name}")
        return _string(r, <Py_ssize_t>n)
    elif kind == K_STRUCT:
        return _read_struct(r, f.child, flex, src)
    elif kind == K_INT8:
        return _i8(r)
    elif kind == K_BOOL:
        p = _need(r, 1)
        return r.p[p] != 0
    elif kind == K_UINT16:
        return _u16(r)
    elif kind == K_FLOAT64:
        u = _u64(r)
        memcpy(&d, &u, 8)
        return d
    elif kind == K_UUID:
        p = _need(r, 16)
        return PyBytes_FromStringAndSize(<const char*>(r.p + p), 16)
    elif kind == K_BYTES or kind == K_RECORDS:
        n = _length(r, flex, True)
        if n < 0:
            if n == -1 and f.nullable:
                return None
            raise CodecError(f"bad bytes length {n} for {f.name}")
        if n > r.end - r.pos:
            _truncated(r, <Py_ssize_t>n)
        p = _need(r, <Py_ssize_t>n)
        if kind == K_BYTES:
            return PyBytes_FromStringAndSize(<const char*>(r.p + p), <Py_ssize_t>n)
        return src.slice(p, <Py_ssize_t>n)
    raise CodecError(f"unknown kind {kind}")


cdef object _read_field(Reader* r, CField f, bint flex, _Src src):
    cdef int64_t n, i
    cdef list out
    cdef int kind = f.kind
    if f.is_array:
        n = _length(r, flex, True)
        if n < 0:
            if n == -1 and f.nullable:
                return None
            raise CodecError(f"bad array length {n} for {f.name}")
        if n > r.end - r.pos:
            raise CodecError(f"array length {n} for {f.name} exceeds the remaining bytes")
        out = []
        for i in range(n):
            out.append(_read_value(r, f, kind, flex, src))
        return out
    if kind == K_STRUCT and f.nullable:
        # Nullable structs carry an int8 presence marker (-1 = null).
        if _i8(r) < 0:
            return None
    return _read_value(r, f, kind, flex, src)


cdef inline object _default_of(CField f):
    if f.mutable:
        return _fresh_default(f.fp)
    return f.default


cdef dict _read_struct(Reader* r, CPlan sp, bint flex, _Src src):
    cdef dict out = {}
    cdef Py_ssize_t i, j
    cdef CField f
    cdef int64_t count, k, tag, size
    cdef Py_ssize_t start
    cdef Reader sub
    for i in range(sp.nfields):
        f = <CField>sp.fields[i]
        out[f.name] = _read_field(r, f, flex, src)
    if flex:
        for i in range(sp.ntagged):
            f = <CField>sp.tagged[i]
            out[f.name] = _default_of(f)
        count = _uvarint(r)
        if count > r.end - r.pos:
            raise CodecError("tagged field count exceeds the remaining bytes")
        for k in range(count):
            tag = _uvarint(r)
            size = _uvarint(r)
            start = _need(r, <Py_ssize_t>size)
            for j in range(sp.ntagged):
                f = <CField>sp.tagged[j]
                if f.tag == tag:
                    # A known tag is read within its declared size only.
                    sub.p = r.p
                    sub.pos = start
                    sub.end = start + <Py_ssize_t>size
                    out[f.name] = _read_field(&sub, f, flex, src)
                    break
    for i in range(sp.nabsent):
        f = <CField>sp.absent[i]
        out[f.name] = _default_of(f)
    return out


cdef int _skip_tags(Reader* r) except -1:
    cdef int64_t count = _uvarint(r)
    cdef int64_t k
    if count > r.end - r.pos:
        raise CodecError("tagged field count exceeds the remaining bytes")
    for k in range(count):
        _uvarint(r)
        _need(r, <Py_ssize_t>_uvarint(r))
    return 0


cdef int _get_buffer(object buf, Py_buffer* view) except -1:
    try:
        PyObject_GetBuffer(buf, view, PyBUF_SIMPLE)
    except (TypeError, BufferError, ValueError):
        raise CodecError("contiguous buffer expected") from None
    return 0


def decode_request_header(buf):
    """(api_key, api_version, correlation_id, client_id, body_offset) of one request frame."""
    cdef Py_buffer view
    cdef Reader r
    cdef int16_t api_key, api_version, n
    cdef int32_t correlation_id
    _get_buffer(buf, &view)
    try:
        r.p = <const uint8_t*>view.buf
        r.pos = 0
        r.end = view.len
        api_key = _i16(&r)
        api_version = _i16(&r)
        correlation_id = _i32(&r)
        n = _i16(&r)
        if n < -1:
            raise CodecError(f"bad client_id length {n}")
        client_id = None if n == -1 else _string(&r, n)
        if _flexible_request(api_key, api_version):
            _skip_tags(&r)
        return api_key, api_version, correlation_id, client_id, r.pos
    finally:
        PyBuffer_Release(&view)


def decode_request(int api_key, int api_version, buf, Py_ssize_t offset=0):
    """The body of a request starting at `offset` of `buf` (one frame without its size)."""
    cdef CMessage m = _plan(True, api_key, api_version)
    cdef Py_buffer view
    cdef Reader r
    cdef _Src src = _Src.__new__(_Src)
    _get_buffer(buf, &view)
    try:
        if offset < 0 or offset > view.len:
            raise CodecError("offset outside the buffer")
        r.p = <const uint8_t*>view.buf
        r.pos = offset
        r.end = view.len
        src.buf = buf
        return _read_struct(&r, m.body, m.flexible, src)
    finally:
        PyBuffer_Release(&view)


def decode_response(int api_key, int api_version, buf):
    """(correlation_id, body) of one response frame without its 4-byte size prefix."""
    cdef CMessage m = _plan(False, api_key, api_version)
    cdef Py_buffer view
    cdef Reader r
    cdef int32_t correlation_id
    cdef _Src src = _Src.__new__(_Src)
    _get_buffer(buf, &view)
    try:
        r.p = <const uint8_t*>view.buf
        r.pos = 0
        r.end = view.len
        src.buf = buf
        correlation_id = _i32(&r)
        if m.flexible and api_key != 18:
            _skip_tags(&r)
        return correlation_id, _read_struct(&r, m.body, m.flexible, src)
    finally:
        PyBuffer_Release(&view)


# ------------------------------------------------------------------------------------------
# Encoding

@cython.final
cdef class Writer:
    cdef uint8_t* buf
    cdef Py_ssize_t n
    cdef Py_ssize_t cap
    cdef list cuts  # (position, region) for records sent as file regions

    def __cinit__(self):
        self.cap = 512
        self.n = 0
        self.buf = <uint8_t*>malloc(self.cap)
        if self.buf == NULL:
            raise MemoryError()
        self.cuts = []

    def __dealloc__(self):
        free(self.buf)

    cdef int _grow(self, Py_ssize_t extra) except -1:
        cdef Py_ssize_t cap = self.cap
        while cap - self.n < extra:
            cap *= 2
        cdef uint8_t* nb = <uint8_t*>realloc(self.buf, cap)
        if nb == NULL:
            raise MemoryError()
        self.buf = nb
        self.cap = cap
        return 0

    cdef inline uint8_t* reserve(self, Py_ssize_t k) except NULL:
        if self.cap - self.n < k:
            self._grow(k)
        cdef uint8_t* p = self.buf + self.n
        self.n += k
        return p

    cdef inline int u8(self, uint8_t v) except -1:
        self.reserve(1)[0] = v
        return 0

    cdef inline int i16(self, int16_t v) except -1:
        cdef uint8_t* p = self.reserve(2)
        p[0] = <uint8_t>(<uint16_t>v >> 8)
        p[1] = <uint8_t>v
        return 0

    cdef inline int i32(self, int32_t v) except -1:
        cdef uint8_t* p = self.reserve(4)
        cdef uint32_t u = <uint32_t>v
        p[0] = <uint8_t>(u >> 24)
        p[1] = <uint8_t>(u >> 16)
        p[2] = <uint8_t>(u >> 8)
        p[3] = <uint8_t>u
        return 0

    cdef inline int u64(self, uint64_t u) except -1:
        cdef uint8_t* p = self.reserve(8)
        cdef int i
        for i in range(8):
            p[i] = <uint8_t>(u >> (56 - 8 * i))
        return 0

    cdef inline int uvarint(self, uint64_t v) except -1:
        while v >= 0x80:
            self.u8(<uint8_t>((v & 0x7F) | 0x80))
            v >>= 7
        self.u8(<uint8_t>v)
        return 0

    cdef inline int length(self, int64_t n, bint flex, bint wide) except -1:
        if flex:
            return self.uvarint(<uint64_t>(n + 1))
        if wide:
            return self.i32(<int32_t>n)
        return self.i16(<int16_t>n)

    cdef int raw(self, const uint8_t* data, Py_ssize_t k) except -1:
        memcpy(self.reserve(k), data, k)
        return 0


cdef int _write_bytes_like(Writer w, CField f, object value, bint flex) except -1:
    """Bytes or records: inline when bytes-like, else (records only) a file region piece."""
    cdef Py_buffer view
    if not PyObject_CheckBuffer(value):
        if f.kind == K_BYTES:
            raise CodecError(f"{f.name}: bytes expected") from None
        n = getattr(value, "length", None)
        if type(n) is not int or n < 0 or n > 0x7FFFFFFF:
            raise CodecError(f"{f.name}: records must be bytes-like or have an int length") from None
        w.length(<int64_t>n, flex, True)
        w.cuts.append((w.n, value))
        return 0
    try:
        PyObject_GetBuffer(value, &view, PyBUF_SIMPLE)
    except BufferError:
        raise CodecError(f"{f.name}: contiguous buffer expected") from None
    try:
        w.length(view.len, flex, True)
        w.raw(<const uint8_t*>view.buf, view.len)
    finally:
        PyBuffer_Release(&view)
    return 0


cdef int _write_value(Writer w, CField f, int kind, object value, bint flex, bint nullable) except -1:
    cdef double d
    cdef uint64_t u
    cdef const char* utf8
    cdef Py_ssize_t size
    if kind == K_INT32:
        w.i32(value)
    elif kind == K_INT64:
        w.u64(<uint64_t>(<int64_t>value))
    elif kind == K_INT16:
        w.i16(value)
    elif kind == K_STRING:
        if value is None:
            if nullable:
                return w.length(-1, flex, False)
            value = ""
        if not isinstance(value, str):
            raise CodecError(f"{f.name}: str expected, got {type(value).__name__}")
        # The str caches its UTF-8 form: topic names encoded again and again cost no allocation.
        utf8 = PyUnicode_AsUTF8AndSize(value, &size)
        if size > MAX_STRING:
            raise CodecError(f"{f.name}: string too long")
        w.length(size, flex, False)
        w.raw(<const uint8_t*>utf8, size)
    elif kind == K_STRUCT:
        if value is None:
            value = _default_struct(f.fp.child)
        _write_struct(w, f.child, value, flex)
    elif kind == K_INT8:
        w.u8(<uint8_t>(<int8_t>value))
    elif kind == K_BOOL:
        w.u8(1 if value else 0)
    elif kind == K_UINT16:
        w.i16(<int16_t>(<uint16_t>value))
    elif kind == K_FLOAT64:
        d = value
        memcpy(&u, &d, 8)
        w.u64(u)
    elif kind == K_UUID:
        if isinstance(value, _UUIDType):
            value = value.bytes
        if not isinstance(value, (bytes, bytearray, memoryview)) or len(value) != 16:
            raise CodecError(f"{f.name}: uuid must be 16 bytes")
        _write_raw_obj(w, value)
    elif kind == K_BYTES or kind == K_RECORDS:
        if value is None:
            if nullable:
                return w.length(-1, flex, True)
            value = b""
        _write_bytes_like(w, f, value, flex)
    else:
        raise CodecError(f"unknown kind {kind}")
    return 0


cdef int _write_raw_obj(Writer w, object value) except -1:
    cdef Py_buffer view
    try:
        PyObject_GetBuffer(value, &view, PyBUF_SIMPLE)
    except (TypeError, BufferError):
        raise CodecError("bytes-like expected") from None
    try:
        w.raw(<const uint8_t*>view.buf, view.len)
    finally:
        PyBuffer_Release(&view)
    return 0


cdef int _write_field(Writer w, CField f, object value, bint flex) except -1:
    cdef Py_ssize_t n
    cdef int kind = f.kind
    if f.is_array:
        if value is None:
            if f.nullable:
                return w.length(-1, flex, True)
            value = ()
        try:
            n = len(value)
        except TypeError:
            raise CodecError(f"{f.name}: list expected") from None
        w.length(n, flex, True)
        for item in value:
            _write_value(w, f, kind, item, flex, False)
        return 0
    if kind == K_STRUCT and f.nullable:
        if value is None:
            return w.u8(0xFF)
        w.u8(1)
    return _write_value(w, f, kind, value, flex, f.nullable)


cdef int _check_absent(CPlan sp, dict d, Py_ssize_t found) except -1:
    """d has keys this version does not write: CodecError unless they all are fields of other
    versions. Looking up the few absent fields is cheaper than walking d's keys."""
    cdef Py_ssize_t i
    for i in range(sp.nabsent):
        if PyDict_GetItem(d, (<CField>sp.absent[i]).name) != NULL:
            found += 1
    if PyDict_Size(d) != found:
        raise _unknown_fields_error(sp.sp, d)
    return 0


cdef int _write_struct(Writer w, CPlan sp, object body, bint flex) except -1:
    cdef Py_ssize_t i
    cdef CField f
    cdef dict d
    cdef list present
    cdef Writer sub
    cdef PyObject* item
    cdef Py_ssize_t found = 0  # keys of body that this version writes
    if type(body) is not dict:
        if not isinstance(body, dict):
            raise CodecError(f"dict expected, got {type(body).__name__}")
    d = <dict>body
    for i in range(sp.nfields):
        f = <CField>sp.fields[i]
        item = PyDict_GetItem(d, f.name)  # borrowed; NULL when missing
        if item == NULL:
            value = _default_of(f)
        else:
            value = <object>item
            found += 1
        _write_field(w, f, value, flex)
    present = None  # made only when some tagged field is set (rare on the hot path)
    if flex:
        for i in range(sp.ntagged):
            f = <CField>sp.tagged[i]
            item = PyDict_GetItem(d, f.name)
            if item == NULL:
                continue
            found += 1
            if <object>item == _default_of(f):
                continue  # Kafka writes a tagged field only when it differs from its default
            if present is None:
                present = []
            present.append((f, <object>item))
    # Other keys must be fields of other versions; anything else is a misspelling.
    if PyDict_Size(d) != found:
        _check_absent(sp, d, found)
    if not flex:
        return 0
    if present is None:
        return w.u8(0)
    w.uvarint(len(present))
    for f, value in present:
        sub = Writer()
        _write_field(sub, f, value, flex)
        if sub.cuts:
            raise CodecError(f"{f.name}: file regions cannot be tagged fields")
        w.uvarint(<uint64_t>f.tag)
        w.uvarint(<uint64_t>sub.n)
        w.raw(sub.buf, sub.n)
    return 0


cdef list _frame(Writer w):
    """Cut the buffer at the regions, patch the size prefix, return the pieces."""
    cdef int64_t size = w.n - 4
    cdef Py_ssize_t start = 0, pos
    cdef list pieces = []
    for pos, region in w.cuts:
        size += <int64_t>region.length
    if size > 0x7FFFFFFF:
        raise CodecError("frame too large")
    w.buf[0] = <uint8_t>(size >> 24)
    w.buf[1] = <uint8_t>(size >> 16)
    w.buf[2] = <uint8_t>(size >> 8)
    w.buf[3] = <uint8_t>size
    for pos, region in w.cuts:
        pieces.append(PyBytes_FromStringAndSize(<const char*>(w.buf + start), pos - start))
        pieces.append(region)
        start = pos
    pieces.append(PyBytes_FromStringAndSize(<const char*>(w.buf + start), w.n - start))
    return pieces


def encode_response(int api_key, int api_version, correlation_id, body):
    """The whole response frame (size, header, body) as a list of pieces (see the contract)."""
    cdef CMessage m = _plan(False, api_key, api_version)
    cdef Writer w = Writer()
    try:
        w.i32(0)
        w.i32(correlation_id)
        if m.flexible and api_key != 18:  # ApiVersions always answers with header v0
            w.u8(0)
        _write_struct(w, m.body, body, m.flexible)
    except (OverflowError, TypeError, UnicodeError, BufferError) as e:
        raise CodecError(f"cannot encode response: {e}") from e
    return _frame(w)


def encode_request(int api_key, int api_version, correlation_id, client_id, body):
    """A whole request frame (size prefix, header v1/v2, body)."""
    cdef CMessage m = _plan(True, api_key, api_version)
    cdef Writer w = Writer()
    cdef bytes data
    try:
        w.i32(0)
        w.i16(api_key)
        w.i16(api_version)
        w.i32(correlation_id)
        if client_id is None:
            w.i16(-1)
        else:
            data = PyUnicode_AsUTF8String(client_id)
            if len(data) > MAX_STRING:
                raise CodecError("client_id too long")
            w.i16(len(data))
            w.raw(<const uint8_t*><char*>data, len(data))
        if m.flexible:
            w.u8(0)
        _write_struct(w, m.body, body, m.flexible)
    except (OverflowError, TypeError, UnicodeError, BufferError) as e:
        raise CodecError(f"cannot encode request: {e}") from e
    if w.cuts:
        raise CodecError("requests carry records as bytes")
    return b"".join(_frame(w))
