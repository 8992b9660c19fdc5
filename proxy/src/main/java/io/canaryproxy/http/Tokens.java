package io.canaryproxy.http;

/**
 * RFC 9110 tokens (§5.6.2), the syntax of methods, field names and cookie names: one or more
 * tchars, each a letter, a digit or one of {@code !#$%&'*+-.^_`|~}.
 */
public final class Tokens {
  private static final String SPECIALS = "!#$%&'*+-.^_`|~";

  private Tokens() {}

  /** True when {@code c} may appear in a token. */
  public static boolean isTchar(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || SPECIALS.indexOf(c) >= 0;
  }

  /** True when {@code s} is a token: not empty, tchars only. */
  public static boolean isToken(CharSequence s) {
    if (s == null || s.length() == 0) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (!isTchar(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }
}
