package io.canaryproxy.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HtmlReportTest {
  @ParameterizedTest
  @CsvSource({"50, 0.30103", "90, 1", "99, 2", "99.9, 3", "99.999, 5"})
  void plotsPercentilesAgainstOneOverOneMinusP(double percentile, double x) {
    assertThat(Spectrum.x(percentile)).isCloseTo(x, org.assertj.core.data.Offset.offset(1e-4));
  }

  @Test
  void spectrumRunsFromTheMedianToFiveNinesInMilliseconds() {
    Histogram us = new Histogram(3);
    for (int i = 1; i <= 100_000; i++) {
      us.recordValue(i);
    }
    List<double[]> points = Spectrum.of(us);
    assertThat(points.get(0)[0]).isEqualTo(50.0);
    assertThat(points.get(0)[1]).isCloseTo(50.0, org.assertj.core.data.Offset.offset(0.1));
    assertThat(points.get(points.size() - 1)[0]).isEqualTo(99.999);
    assertThat(points).extracting(p -> p[1]).isSorted();
  }

  @Test
  void labelsAreEscapedAndEachRunGetsItsCurves() {
    Histogram us = new Histogram(3);
    us.recordValue(1000);
    HtmlReport.Series a =
        new HtmlReport.Series("<script>a</script>", Spectrum.of(us), Spectrum.of(us));
    HtmlReport.Series b = new HtmlReport.Series("b.hlog", Spectrum.of(us), List.of());
    String page = HtmlReport.render("t & t", List.of(a, b));
    assertThat(page)
        .doesNotContain("<script>")
        .contains("&lt;script&gt;a&lt;/script&gt;")
        .contains("t &amp; t");
    assertThat(page.split("<polyline", -1)).hasSize(4);
    // Self-contained: nothing is loaded from elsewhere.
    assertThat(page).doesNotContain("src=").doesNotContain("<link").doesNotContain("@import");
  }
}
