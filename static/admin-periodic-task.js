/* The periodic task form in the admin (django-celery-beat): the chosen crontab's schedule in words under the field,
   as the package's own inline script did. The readable schedules come from the #readable-crontabs JSON. */
(function () {
  "use strict";
  var $ = window.django && window.django.jQuery;
  var script = document.getElementById("periodic-task-overrides");
  var source = document.getElementById("readable-crontabs");
  if (!$ || !script || !source) return;
  var readable = JSON.parse(source.textContent);
  var help = script.dataset.crontabHelp || "";

  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    var text = readable[$("#id_crontab").val()];
    var box = $(".field-crontab .help").empty().text(help);
    if (text) box.append($("<br>"), document.createTextNode("Translation: " + text));
  });
})();
