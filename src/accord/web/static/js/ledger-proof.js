/*
 * Accord ledger: verify an inclusion proof in the browser, with no library and no server help.
 *
 * 1. leaf = SHA-256(0x00 || UTF-8 bytes of the entry's canonical JSON)      (RFC 9162 §2.1.1)
 * 2. walk the audit path with node = SHA-256(0x01 || left || right)        (RFC 9162 §2.1.3.2)
 * 3. compare the result with the root hash written in the signed checkpoint note on the page
 *    (C2SP tlog-checkpoint: line 1 origin, line 2 tree size, line 3 base64 root hash).
 *
 * The entry bytes come from the data-canonical attribute of #ledger-proof, the proof hashes
 * from data-proof and the checkpoint from the text of #checkpoint-note. Messages are the
 * translated templates in data-msg-* attributes, with {placeholders}.
 *
 * Integers are handled as JavaScript numbers with Math.floor division (exact below 2^53),
 * never with 32-bit bit operators.
 */
(function () {
  "use strict";

  function hexToBytes(hex) {
    if (!/^([0-9a-f]{2})*$/i.test(hex)) {
      return null;
    }
    var out = new Uint8Array(hex.length / 2);
    for (var i = 0; i < out.length; i++) {
      out[i] = parseInt(hex.substr(i * 2, 2), 16);
    }
    return out;
  }

  function bytesToHex(bytes) {
    var parts = [];
    for (var i = 0; i < bytes.length; i++) {
      parts.push(bytes[i].toString(16).padStart(2, "0"));
    }
    return parts.join("");
  }

  function base64ToBytes(text) {
    var raw;
    try {
      raw = atob(text);
    } catch (error) {
      return null;
    }
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      out[i] = raw.charCodeAt(i);
    }
    return out;
  }

  function concat(arrays) {
    var length = 0;
    arrays.forEach(function (a) { length += a.length; });
    var out = new Uint8Array(length);
    var offset = 0;
    arrays.forEach(function (a) { out.set(a, offset); offset += a.length; });
    return out;
  }

  function equal(a, b) {
    if (a.length !== b.length) {
      return false;
    }
    var diff = 0;
    for (var i = 0; i < a.length; i++) {
      diff |= a[i] ^ b[i];
    }
    return diff === 0;
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }

  function leafHash(data) {
    return sha256(concat([new Uint8Array([0]), data]));
  }

  function nodeHash(left, right) {
    return sha256(concat([new Uint8Array([1]), left, right]));
  }

  function half(n) {
    return Math.floor(n / 2);
  }

  function isOdd(n) {
    return n % 2 === 1;
  }

  /* RFC 9162 §2.1.3.2, step by step; returns the computed root, or null when the proof has
   * the wrong shape for (index, size). The caller compares the root with the signed one. */
  async function rootFromInclusionProof(index, size, leaf, proof) {
    if (!(index < size)) {                                    // step 1
      return null;
    }
    var fn = index, sn = size - 1;                            // step 2
    var r = leaf;                                             // step 3
    for (var i = 0; i < proof.length; i++) {                  // step 4
      var p = proof[i];
      if (sn === 0) {                                         // 4a
        return null;
      }
      if (isOdd(fn) || fn === sn) {                           // 4b
        r = await nodeHash(p, r);
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      } else {                                                // 4c
        r = await nodeHash(r, p);
      }
      fn = half(fn);                                          // 4d
      sn = half(sn);
    }
    return sn === 0 ? r : null;                               // step 5 (root compared later)
  }

  /* origin, size and root hash from the body of a C2SP checkpoint note. */
  function parseCheckpoint(note) {
    var lines = note.split("\n");
    if (lines.length < 3 || !/^(0|[1-9][0-9]*)$/.test(lines[1])) {
      return null;
    }
    var root = base64ToBytes(lines[2]);
    if (root === null || root.length !== 32) {
      return null;
    }
    return { origin: lines[0], size: Number(lines[1]), root: root };
  }

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : match;
    });
  }

  function show(box, ok, text) {
    var result = box.querySelector("#proof-result");
    result.textContent = text;
    result.classList.remove("success", "error");
    result.classList.add(ok ? "success" : "error");
    result.dataset.verified = ok ? "true" : "false";
    result.hidden = false;
  }

  async function verify(box) {
    var msg = box.dataset;
    var seq = Number(msg.seq);
    var size = Number(msg.treeSize);
    var leafLine = box.querySelector("#proof-leaf");
    leafLine.hidden = true;
    if (!window.crypto || !crypto.subtle) {
      show(box, false, msg.msgUnsupported);
      return;
    }
    var result = box.querySelector("#proof-result");
    result.textContent = msg.msgWorking;
    result.hidden = false;
    delete result.dataset.verified;

    var note = document.getElementById("checkpoint-note");
    var checkpoint = note ? parseCheckpoint(note.textContent) : null;
    var proof = (msg.proof || "").split(" ").filter(Boolean).map(hexToBytes);
    var wellFormed = checkpoint !== null && checkpoint.size === size && Number.isSafeInteger(seq)
      && proof.every(function (p) { return p !== null && p.length === 32; });
    var rootHex = checkpoint ? bytesToHex(checkpoint.root) : "";
    if (!wellFormed) {
      show(box, false, format(msg.msgMalformed, { seq: seq, size: size }));
      return;
    }
    var bytes = new TextEncoder().encode(msg.canonical);      // UTF-8, exactly as hashed
    var leaf = await leafHash(bytes);
    leafLine.textContent = format(msg.msgLeaf, { leaf: bytesToHex(leaf) });
    leafLine.hidden = false;
    var computed = await rootFromInclusionProof(seq, size, leaf, proof);
    if (computed === null) {
      show(box, false, format(msg.msgMalformed, { seq: seq, size: size }));
    } else if (!equal(computed, checkpoint.root)) {
      show(box, false, format(msg.msgMismatch, { computed: bytesToHex(computed), root: rootHex }));
    } else {
      show(box, true, format(msg.msgOk, { seq: seq, size: size, root: rootHex }));
    }
  }

  function start() {
    var box = document.getElementById("ledger-proof");
    if (!box) {
      return;
    }
    var button = box.querySelector("#verify-proof");
    button.addEventListener("click", function () {
      button.disabled = true;
      verify(box).catch(function (error) {
        show(box, false, String(error));
      }).finally(function () {
        button.disabled = false;
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
