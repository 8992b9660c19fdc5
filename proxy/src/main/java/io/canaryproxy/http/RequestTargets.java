package io.canaryproxy.http;

/** The parts of a request target that routing, metrics and logs read. */
public final class RequestTargets {
  private RequestTargets() {}

  /**
   * The path of a request target without the query string; for an absolute-form target ({@code
   * http://host/p?q}) the path part. Allocates only when there is something to cut.
   */
  public static String pathOf(String uri) {
    int start = 0;
    if (!uri.isEmpty() && uri.charAt(0) != '/') {
      int scheme = uri.indexOf("://");
      if (scheme > 0) {
        int slash = uri.indexOf('/', scheme + 3);
        if (slash < 0) {
          return "/";
        }
        start = slash;
      }
    }
    int query = uri.indexOf('?', start);
    int fragment = uri.indexOf('#', start);
    int end = query < 0 ? uri.length() : query;
    if (fragment >= 0 && fragment < end) {
      end = fragment;
    }
    return start == 0 && end == uri.length() ? uri : uri.substring(start, end);
  }
}
