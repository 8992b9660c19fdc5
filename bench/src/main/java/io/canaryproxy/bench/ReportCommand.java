package io.canaryproxy.bench;

import io.canaryproxy.bench.report.HtmlReport;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code canary-bench report --html out.html a.json b.hlog}: overlays several runs in one HTML
 * plot.
 */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description =
        "Overlay runs in one HTML percentile plot. Inputs: --json files (corrected and uncorrected curves) or --hlog files (corrected only).")
final class ReportCommand implements Callable<Integer> {
  @Option(names = "--html", required = true, description = "Output HTML file")
  Path html;

  @Option(
      names = "--title",
      defaultValue = "canary-bench comparison",
      description = "Page title. Default: ${DEFAULT-VALUE}")
  String title;

  @Parameters(
      arity = "1..*",
      paramLabel = "FILE",
      description = "*.json or *.hlog files from earlier runs")
  List<Path> inputs;

  @Override
  public Integer call() throws IOException {
    List<HtmlReport.Series> runs = new ArrayList<>();
    for (Path p : inputs) {
      runs.add(p.toString().endsWith(".json") ? HtmlReport.fromJson(p) : HtmlReport.fromHlog(p));
    }
    HtmlReport.write(html, title, runs);
    return 0;
  }
}
