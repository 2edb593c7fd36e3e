/* The till in the browser: the PIN keypad, extra basket lines, the points control, the
   one-time code box, and scanning a member's QR code where the browser can. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };

  function changed(input) {
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // PIN keypad: buttons type into the field they name.
  document.querySelectorAll(".keypad[data-target]").forEach(function (pad) {
    var input = $(pad.dataset.target);
    pad.addEventListener("click", function (event) {
      var key = event.target.dataset && event.target.dataset.key;
      if (!key || !input) { return; }
      input.value = key === "back" ? input.value.slice(0, -1)
        : (input.value + key).slice(0, 6);
      input.focus();
    });
  });

  // More basket lines.
  var add = $("add-line"), template = $("line-template");
  if (add && template) {
    add.addEventListener("click", function () {
      $("lines").appendChild(template.content.cloneNode(true));
    });
  }

  // Picking a product: the first empty line (or a new one) takes its price, name, category
  // and SKU; picking a product already in the basket adds one more of it.
  function fill(line, pick) {
    var set = function (name, value) {
      var input = line.querySelector("[name=" + name + "]");
      if (input) { input.value = value; }
    };
    set("sku", pick.dataset.sku);
    set("name", pick.dataset.name);
    set("category", pick.dataset.category);
    set("qty", "1");
    set("price", pick.dataset.price);
    var details = line.querySelector("details");
    if (details) { details.open = true; }
    changed(line.querySelector("[name=price]"));
  }
  document.body.addEventListener("click", function (event) {
    var pick = event.target.closest ? event.target.closest(".pick") : null;
    if (!pick || !$("lines") || !template) { return; }
    var lines = Array.prototype.slice.call($("lines").querySelectorAll("fieldset.line"));
    var same = lines.filter(function (line) {
      return line.querySelector("[name=sku]").value === pick.dataset.sku;
    })[0];
    var qty = same ? same.querySelector("[name=qty]") : null;
    if (qty && /^\d+$/.test(qty.value.trim())) {
      qty.value = String(parseInt(qty.value, 10) + 1);
      var details = same.querySelector("details");
      if (details) { details.open = true; }
      changed(qty);
      return;
    }
    var empty = lines.filter(function (line) {
      return !line.querySelector("[name=price]").value.trim() &&
        !line.querySelector("[name=name]").value.trim();
    })[0];
    if (!empty) {
      $("lines").appendChild(template.content.cloneNode(true));
      empty = $("lines").lastElementChild;
    }
    fill(empty, pick);
  });

  // One tap records one sale: the server answers a repeat with the same receipt anyway.
  var saleForm = $("sale-form");
  if (saleForm) {
    saleForm.addEventListener("submit", function () {
      setTimeout(function () { $("commit").disabled = true; }, 0);
    });
  }

  // Points to spend: number field, slider, "none" and "max".
  var points = $("f-points_to_spend"), range = $("points-range");
  function setPoints(value) {
    if (!points) { return; }
    points.value = String(value);
    if (range) { range.value = String(value); }
    changed(points);
  }
  if (points && range) {
    range.addEventListener("input", function (event) {
      event.stopPropagation();
      setPoints(range.value);
    });
    points.addEventListener("input", function () { range.value = points.value; });
  }
  if ($("spend-none")) { $("spend-none").addEventListener("click", function () { setPoints(0); }); }
  if ($("spend-max")) {
    $("spend-max").addEventListener("click", function () {
      var body = $("quote-body");
      setPoints(body ? body.dataset.max : 0);
    });
  }

  // After each quote: the slider's top, and the one-time code box when the spend needs it.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail.target || event.detail.target.id !== "quote") { return; }
    var body = $("quote-body");
    if (range && body) { range.max = body.dataset.max; }
    var box = $("otp-box");
    if (box && body) { box.hidden = body.dataset.otp !== "1"; }
  });

  // Scanning the member's QR code (its token) with the camera: the button shows only where
  // the browser can read QR codes and has a camera (a secure page); otherwise the box takes
  // what a USB scanner or the cashier types.
  var scan = $("scan");
  function canScan() {
    if (!scan || !("BarcodeDetector" in window) || !window.isSecureContext ||
        !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia ||
        !navigator.mediaDevices.enumerateDevices) {
      return Promise.resolve(false);
    }
    return Promise.all([window.BarcodeDetector.getSupportedFormats(),
                        navigator.mediaDevices.enumerateDevices()])
      .then(function (found) {
        return found[0].indexOf("qr_code") >= 0 &&
          found[1].some(function (d) { return d.kind === "videoinput"; });
      })
      .catch(function () { return false; });
  }
  canScan().then(function (ok) {
    if (!ok) { return; }
    scan.hidden = false;
    var stream = null, timer = null;
    var stop = function () {
      if (timer) { clearInterval(timer); timer = null; }
      if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
      $("scanner").hidden = true;
    };
    var failed = function () {
      stop();
      $("scan-failed").hidden = false;
      $("f-q").focus();
    };
    scan.addEventListener("click", function () {
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      $("scan-failed").hidden = true;
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } })
        .then(function (media) {
          stream = media;
          var video = $("scan-video");
          video.srcObject = media;
          $("scanner").hidden = false;
          return video.play();
        })
        .then(function () {
          timer = setInterval(function () {
            detector.detect($("scan-video")).then(function (codes) {
              if (!codes.length) { return; }
              var token = codes[0].rawValue.split("/").pop();
              stop();
              $("f-qr").value = token;
              $("find-form").submit();
            }).catch(failed);
          }, 300);
        })
        .catch(failed);
    });
    $("scan-stop").addEventListener("click", stop);
  });
})();
