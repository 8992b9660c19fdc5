package io.canaryproxy.forwarding;

import io.canaryproxy.http.HeaderNames;
import io.canaryproxy.http.Headers;
import io.canaryproxy.http.HopByHop;
import io.canaryproxy.routing.Baggage;
import io.netty.util.AsciiString;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;

/**
 * The changes made to every request head before it goes to a backend. How the body is framed on the
 * wire is the upstream adapter's business (it frames from {@code RequestHead.bodyLength()}).
 */
final class ForwardHeaders {
  private static final AsciiString HTTP = AsciiString.cached("http");
  private static final AsciiString HTTPS = AsciiString.cached("https");
  private static final AsciiString BAGGAGE = AsciiString.cached("baggage");
  private static final AsciiString SET_COOKIE = AsciiString.cached("set-cookie");

  private ForwardHeaders() {}

  /**
   * Removes hop-by-hop fields (never those named in {@code keep}, lower case), appends the client
   * to {@code X-Forwarded-For}, and sets {@code X-Forwarded-Proto} and {@code X-Forwarded-Host}
   * unless an earlier proxy set them. {@code Host} is kept as the client sent it.
   */
  static void prepareRequest(Headers headers, String clientIp, Set<String> keep) {
    prepareRequest(headers, clientIp, false, keep);
  }

  /**
   * As above, with {@code X-Forwarded-Proto: https} when {@code secure} (TLS was terminated here).
   */
  static void prepareRequest(Headers headers, String clientIp, boolean secure, Set<String> keep) {
    HopByHop.strip(headers, keep);
    String forwardedFor = headers.get(HeaderNames.X_FORWARDED_FOR);
    if (forwardedFor != null) {
      // Several fields form one list (RFC 9110 §5.3): all of it is kept, as nginx does.
      List<String> all = headers.getAll(HeaderNames.X_FORWARDED_FOR);
      if (all.size() > 1) {
        forwardedFor = String.join(", ", all);
      }
    }
    // A field known to be absent is added: set() would scan the fields once more to remove it.
    if (forwardedFor == null) {
      headers.add(HeaderNames.X_FORWARDED_FOR, clientIp);
    } else {
      headers.set(HeaderNames.X_FORWARDED_FOR, forwardedFor + ", " + clientIp);
    }
    if (!headers.contains(HeaderNames.X_FORWARDED_PROTO)) {
      headers.add(HeaderNames.X_FORWARDED_PROTO, secure ? HTTPS : HTTP);
    }
    if (!headers.contains(HeaderNames.X_FORWARDED_HOST)) {
      headers.addFromFirst(HeaderNames.HOST, HeaderNames.X_FORWARDED_HOST);
    }
  }

  /**
   * {@code routing.propagate}: sets {@code header} to the chosen variant's {@code label}, replacing
   * what the client sent, and owns the baggage member named {@code header}: an inbound one is
   * removed (a trusted peer's was already honoured by routing), and with {@code baggage} the chosen
   * one is appended after the other members (W3C Baggage; several {@code baggage} fields are joined
   * into one, which the specification allows).
   */
  static void propagate(Headers headers, String header, boolean baggage, String label) {
    headers.set(header, label);
    List<String> values = headers.getAll(BAGGAGE);
    boolean inbound = false;
    for (String v : values) {
      inbound |= v.contains(header);
    }
    if (!baggage && !inbound) {
      return;
    }
    String joined = values.isEmpty() ? null : String.join(",", values);
    String rewritten = Baggage.rewrite(joined, header, baggage ? label : null);
    if (rewritten == null) {
      headers.remove(BAGGAGE);
    } else {
      headers.set(BAGGAGE, rewritten);
    }
  }

  /**
   * Appends {@code setCookie} (a new visitor's id cookie, {@code name=value; attributes}) to a
   * response, unless the backend already sets a cookie of that name: the application's own value
   * wins, and routing follows it from the next request.
   */
  static void addVisitorCookie(Headers headers, String setCookie) {
    int eq = setCookie.indexOf('=');
    for (String v : headers.getAll(SET_COOKIE)) {
      String trimmed = v.stripLeading();
      if (trimmed.length() > eq
          && trimmed.charAt(eq) == '='
          && trimmed.regionMatches(0, setCookie, 0, eq)) {
        return;
      }
    }
    headers.add(SET_COOKIE, setCookie);
  }

  /** A Host value for a request that came without one (HTTP/1.0). */
  static String hostOf(InetSocketAddress address) {
    return address.getHostString() + ":" + address.getPort();
  }
}
