/* Tables on a phone: each row becomes a card (static/css/app.css, "Tables as cards").
 * Each cell is given its column's header as data-label, which the narrow layout prints
 * above the value, and the table's rows and cells keep their roles once the CSS displays
 * them as blocks. Tables of two columns fit as they are. Without this script a table stays a table, scrolled sideways in its
 * focusable wrapper. Tables of marks (stacked by grid.css) and of figures keep their columns. */
(function () {
  "use strict";
  var KEEP = ".indicators, .figures-table";
  var tables = document.querySelectorAll("main table");
  Array.prototype.forEach.call(tables, function (table) {
    // Two columns (a name and its count) fit a phone as they are.
    if (table.matches(KEEP) || !table.tHead || table.tHead.rows[0].cells.length < 3) {
      return;
    }
    var headers = Array.prototype.map.call(
      table.tHead.rows[0].cells,
      // innerText keeps the line breaks between a header's parts (a name, then its role).
      function (cell) { return (cell.innerText || cell.textContent).replace(/\s+/g, " ").trim(); }
    );
    table.setAttribute("role", "table");
    Array.prototype.forEach.call(table.querySelectorAll("tr"), function (row) {
      row.setAttribute("role", "row");
    });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) {
      cell.setAttribute("role", "columnheader");
    });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          var span = cell.colSpan || 1;
          cell.setAttribute("role", cell.tagName === "TH" ? "rowheader" : "cell");
          if (span === 1 && headers[column]) {
            cell.setAttribute("data-label", headers[column]);
          }
          column += span;
        });
      });
    });
    table.classList.add("cards");
  });
})();
