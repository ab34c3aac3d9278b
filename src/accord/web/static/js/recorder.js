/*
 * Microphone capture for the speech page: records PCM with the Web Audio API and encodes a
 * 16-bit mono WAV file in the browser.
 *
 * Why not MediaRecorder: browsers' MediaRecorder produces WebM/Opus (Chromium, Firefox) or
 * MP4/AAC (Safari). Decoding those on the server would need ffmpeg; PocketSphinx needs plain PCM.
 * Recording the samples ourselves and writing a WAV header (44 bytes) keeps the server to
 * Python's `wave` module. The audio is downsampled to 16 kHz here (what the recogniser uses), so
 * two minutes is about 3.8 MB.
 *
 * The WAV is put into the upload form's file input (DataTransfer), so the recording is sent by
 * the same form, with the same CSRF token field, as an uploaded file. Nothing leaves the browser
 * until the officer presses "Transcribe".
 */
(function () {
  "use strict";
  var root = document.querySelector("[data-recorder]");
  if (!root) { return; }
  var startButton = root.querySelector("[data-record-start]");
  var stopButton = root.querySelector("[data-record-stop]");
  var status = root.querySelector("[data-record-status]");
  var player = root.querySelector("[data-record-player]");
  var input = document.getElementById(root.getAttribute("data-input"));
  var maxSeconds = parseFloat(root.getAttribute("data-max-seconds")) || 120;
  var TARGET_RATE = 16000;
  var stream = null, context = null, source = null, processor = null, chunks = [], timer = null;

  function say(text) { status.textContent = text; }
  function label(name) { return root.getAttribute("data-msg-" + name) || name; }

  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.AudioContext ||
      typeof DataTransfer === "undefined") {
    startButton.disabled = true;
    say(label("unsupported"));
    return;
  }

  function downsample(samples, rate) {
    if (rate === TARGET_RATE) { return samples; }
    var ratio = rate / TARGET_RATE, length = Math.floor(samples.length / ratio);
    var out = new Float32Array(length);
    for (var i = 0; i < length; i++) {
      // average the input samples that fall into this output sample (a simple low-pass)
      var start = Math.floor(i * ratio), end = Math.min(samples.length, Math.floor((i + 1) * ratio));
      var sum = 0;
      for (var j = start; j < end; j++) { sum += samples[j]; }
      out[i] = end > start ? sum / (end - start) : 0;
    }
    return out;
  }

  function encodeWav(samples, rate) {
    var buffer = new ArrayBuffer(44 + samples.length * 2), view = new DataView(buffer);
    function text(offset, value) {
      for (var i = 0; i < value.length; i++) { view.setUint8(offset + i, value.charCodeAt(i)); }
    }
    text(0, "RIFF"); view.setUint32(4, 36 + samples.length * 2, true); text(8, "WAVE");
    text(12, "fmt "); view.setUint32(16, 16, true); view.setUint16(20, 1, true);  // PCM
    view.setUint16(22, 1, true); view.setUint32(24, rate, true);                    // mono
    view.setUint32(28, rate * 2, true); view.setUint16(32, 2, true); view.setUint16(34, 16, true);
    text(36, "data"); view.setUint32(40, samples.length * 2, true);
    for (var i = 0; i < samples.length; i++) {
      var s = Math.max(-1, Math.min(1, samples[i]));
      view.setInt16(44 + i * 2, s < 0 ? s * 0x8000 : s * 0x7fff, true);
    }
    return new Blob([buffer], { type: "audio/wav" });
  }

  function finish() {
    if (!context) { return; }
    clearTimeout(timer);
    processor.disconnect(); source.disconnect();
    stream.getTracks().forEach(function (track) { track.stop(); });
    var rate = context.sampleRate;
    context.close();
    context = null;
    var total = 0;
    chunks.forEach(function (c) { total += c.length; });
    var all = new Float32Array(total), offset = 0;
    chunks.forEach(function (c) { all.set(c, offset); offset += c.length; });
    chunks = [];
    var wav = encodeWav(downsample(all, rate), TARGET_RATE);
    var file = new File([wav], "recording.wav", { type: "audio/wav" });
    var transfer = new DataTransfer();
    transfer.items.add(file);
    input.files = transfer.files;
    player.src = URL.createObjectURL(wav);
    player.hidden = false;
    startButton.disabled = false; stopButton.disabled = true;
    say(label("ready").replace("{seconds}", (total / rate).toFixed(1)));
  }

  startButton.addEventListener("click", function () {
    startButton.disabled = true;
    say(label("asking"));
    navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1 } }).then(function (media) {
      stream = media;
      context = new AudioContext();
      source = context.createMediaStreamSource(stream);
      // ScriptProcessorNode is deprecated but works everywhere without a separate worklet file.
      processor = context.createScriptProcessor(4096, 1, 1);
      processor.onaudioprocess = function (event) {
        chunks.push(new Float32Array(event.inputBuffer.getChannelData(0)));
      };
      source.connect(processor);
      processor.connect(context.destination);
      stopButton.disabled = false;
      say(label("recording"));
      timer = setTimeout(finish, maxSeconds * 1000);
    }).catch(function (error) {
      startButton.disabled = false;
      say(label("denied") + " (" + error.name + ")");
    });
  });
  stopButton.addEventListener("click", finish);
})();
