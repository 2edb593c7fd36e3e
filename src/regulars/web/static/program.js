// The program editor's fields (the program page, a scenario's draft program, a new
// scenario): add and remove level rows.
(function () {
  var body = document.querySelector("#levels tbody");
  var form = body.closest("form");
  var next = body.querySelectorAll("tr").length + 100;
  function changed() { form.dispatchEvent(new Event("levels-changed")); }
  document.getElementById("add-level").addEventListener("click", function () {
    var html = document.getElementById("level-template").innerHTML.replace(/ROW/g, String(next++));
    body.insertAdjacentHTML("beforeend", html);
    body.lastElementChild.querySelector("input").focus();
    changed();
  });
  body.addEventListener("click", function (event) {
    var button = event.target.closest(".remove-level");
    if (button && body.querySelectorAll("tr").length > 1) { button.closest("tr").remove(); changed(); }
  });
})();
