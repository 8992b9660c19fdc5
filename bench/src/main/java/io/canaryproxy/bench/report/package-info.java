/**
 * Results and their renderings: {@link io.canaryproxy.bench.report.BenchResult} is what a run
 * measured; {@code TextReport}, {@code JsonReport} and {@code HtmlReport} turn it into the summary,
 * the JSON file and the SVG plot.
 */
package io.canaryproxy.bench.report;
