package io.canaryproxy;

import io.canaryproxy.config.HostPort;
import java.net.BindException;

/**
 * A listener that could not be bound, named by what it listens for ({@code listen}, {@code
 * admin.listen}, a demo backend) so that the command line can say it in one line instead of a stack
 * trace.
 */
final class ListenFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String what;
  private final HostPort address;
  private final boolean inUse;

  ListenFailure(String what, HostPort address, Throwable cause) {
    super(what + ": cannot listen on " + address + ": " + cause.getMessage(), cause);
    this.what = what;
    this.address = address;
    this.inUse = addressInUse(cause);
  }

  /** Which listener: {@code listen}, {@code admin.listen}, or {@code demo backend NAME}. */
  String what() {
    return what;
  }

  HostPort address() {
    return address;
  }

  /** Whether another process holds the port (EADDRINUSE), as opposed to e.g. a foreign address. */
  boolean inUse() {
    return inUse;
  }

  /**
   * True when {@code t} or one of its causes says the address is in use: the JDK reports a {@link
   * BindException}; Netty's native epoll transport an IOException whose message carries the errno
   * text.
   */
  static boolean addressInUse(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      String m = c.getMessage();
      if (m != null && m.contains("Address already in use")) {
        return true;
      }
      if (c instanceof BindException && m != null && m.contains("in use")) {
        return true;
      }
    }
    return false;
  }

  /**
   * The one line for the user, e.g. {@code port 8080 is in use; try --listen 127.0.0.1:0}.
   *
   * @param hint what to do about it, e.g. {@code try --listen 127.0.0.1:0}
   */
  String oneLine(String hint) {
    if (inUse) {
      return "port " + address.port() + " is in use; " + hint;
    }
    Throwable root = getCause();
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return what + ": cannot listen on " + address + " (" + root.getMessage() + "); " + hint;
  }
}
