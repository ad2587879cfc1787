// Progressive enhancement of the upload form: a file dropped on the form is chosen in its file
// input, and the form is sent with a progress bar; the server's answer (the document's page, or
// the list with the error) is then shown. Without JavaScript the form posts as usual.
(function () {
  "use strict";
  var form = document.getElementById("upload");
  if (!form || !window.FormData || !window.XMLHttpRequest) { return; }
  var input = document.getElementById("upload-file");
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  ["dragenter", "dragover"].forEach(function (name) {
    form.addEventListener(name, function (event) {
      event.preventDefault();
      form.classList.add("dropping");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    form.addEventListener(name, function () { form.classList.remove("dropping"); });
  });
  form.addEventListener("drop", function (event) {
    event.preventDefault();
    var files = event.dataTransfer && event.dataTransfer.files;
    if (!files || !files.length) { return; }
    input.files = files;
    status.textContent = form.dataset.dropped + " " + files[0].name;
  });
  form.addEventListener("submit", function (event) {
    if (!input.files.length) { return; }
    event.preventDefault();
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.upload.addEventListener("progress", function (progress) {
      if (progress.lengthComputable) { bar.value = Math.round(100 * progress.loaded / progress.total); }
    });
    request.addEventListener("load", function () {
      if (request.status === 200 && request.responseURL !== form.action) {
        window.location.assign(request.responseURL);  // the document's page, after the redirect
      } else {
        document.open();
        document.write(request.responseText);  // the list with the error, as without script
        document.close();
      }
    });
    request.addEventListener("error", function () {
      bar.hidden = true;
      status.textContent = "";
      form.submit();  // let the browser say what went wrong
    });
    bar.hidden = false;
    status.textContent = form.dataset.sending;
    request.send(new FormData(form));
  });
}());
