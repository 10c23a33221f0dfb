/* global document, window */
// Progressive enhancement for the sign-up form: preselect the browser's time zone (the server's default is UTC).
(function () {
  var select = document.querySelector('select[data-detect-timezone]');
  if (!select || !window.Intl || !Intl.DateTimeFormat) return;
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone || select.value !== 'UTC') return;
  for (var i = 0; i < select.options.length; i++) {
    if (select.options[i].value === zone) {
      select.value = zone;
      return;
    }
  }
})();
