'use strict';
// plotly.js with only the trace types Klyngeplan draws (reports/charts.py,
// static/js/klyngeplan.js): scatter comes with the core; bar, choropleth (with its geo
// subplot) and waterfall are registered here. A chart with another trace type would draw
// nothing: add its module below and rebuild (see static/vendor/README.md).
var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/choropleth'),
    require('plotly.js/lib/waterfall'),
]);

module.exports = Plotly;
