// Draws the dashboard's charts from the figures the page embeds (#report-charts). ECharts is
// served from this application (no CDN). Each chart marks its container data-rendered="1"
// when drawn, which the browser test waits for.
(function () {
  "use strict";
  var source = document.getElementById("report-charts");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var charts = [];

  function draw(id, option, onClick) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.on("finished", function () { el.setAttribute("data-rendered", "1"); });
    chart.setOption(option);
    if (onClick) { chart.on("click", onClick); }
    charts.push(chart);
  }

  var seriesKeys = ["received", "closed", "on_time", "recovered"];
  function open(url) { if (url) { window.location.href = url; } }

  draw("chart-trend", {
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 48, right: 56, top: 36, bottom: 28 },
    xAxis: { type: "category", data: data.months },
    yAxis: [{ type: "value", minInterval: 1 }, { type: "value", name: data.labels.recovered }],
    series: [
      { name: data.labels.received, type: "bar", data: data.received },
      { name: data.labels.closed, type: "bar", data: data.closed },
      { name: data.labels.on_time, type: "bar", data: data.on_time },
      { name: data.labels.recovered, type: "line", yAxisIndex: 1, data: data.recovered_wan }
    ]
  }, function (params) {
    // A month's bar or point opens the rows it counts, for that month.
    var urls = data.month_urls[seriesKeys[params.seriesIndex]];
    if (urls) { open(urls[params.dataIndex]); }
  });

  var ranking = data.ranking;
  draw("chart-ranking", {
    animation: false,
    tooltip: { trigger: "axis" },
    grid: { left: 96, right: 24, top: 8, bottom: 24 },
    xAxis: { type: "value", axisLabel: { formatter: ranking.rate ? "{value}%" : "{value}" } },
    yAxis: { type: "category", data: ranking.units.slice().reverse() },
    series: [{ type: "bar", name: ranking.metric, data: ranking.values.slice().reverse(),
               label: { show: true, position: "right" } }]
  }, function (params) {
    // A bar opens its unit: a county's page, or a department's cases.
    var links = ranking.links.slice().reverse();
    if (links[params.dataIndex]) { window.location.href = links[params.dataIndex]; }
  });

  function pie(id, slices) {
    draw(id, {
      animation: false,
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      series: [{ type: "pie", radius: ["35%", "65%"], data: slices,
                 label: { formatter: "{b}\n{c}" } }]
    }, function (params) { open(slices[params.dataIndex].url); });
  }
  pie("chart-channel", data.channel);
  pie("chart-outcome", data.outcome);

  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
