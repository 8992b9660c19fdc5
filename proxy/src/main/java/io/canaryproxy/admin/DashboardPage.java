package io.canaryproxy.admin;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * {@code GET /} and {@code GET /dashboard}: the live dashboard, one self-contained HTML page
 * (inline CSS, JavaScript and SVG charts, nothing fetched from elsewhere) read from the jar once.
 * The page polls {@code /admin/stats} and {@code /admin/rollout} every second and sends the rollout
 * operations as POSTs with {@code Authorization: Bearer}; it keeps the token in a JavaScript
 * variable only. The page itself is a read like any other: open on loopback, token-guarded off it.
 */
final class DashboardPage implements AdminHandler {
  private static final String RESOURCE = "dashboard.html";

  /**
   * Scripts and styles only from the page itself, requests only to this origin, and no framing, so
   * that another site can neither embed the buttons nor make the page talk to it.
   */
  private static final String CSP =
      "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
          + "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

  private final byte[] html;

  DashboardPage() {
    try (InputStream in = DashboardPage.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + RESOURCE + " next to DashboardPage");
      }
      html = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public AdminResponse handle(AdminRequest request) {
    return new AdminResponse(
        200,
        "text/html; charset=utf-8",
        html,
        Map.of(
            "Content-Security-Policy", CSP,
            "X-Frame-Options", "DENY",
            "X-Content-Type-Options", "nosniff",
            "Referrer-Policy", "no-referrer"));
  }
}
