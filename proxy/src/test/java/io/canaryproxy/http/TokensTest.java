package io.canaryproxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TokensTest {
  @Test
  void tokensAreLettersDigitsAndTheFifteenSpecials() {
    assertThat(Tokens.isToken("GET")).isTrue();
    assertThat(Tokens.isToken("x-canary-variant")).isTrue();
    assertThat(Tokens.isToken("!#$%&'*+-.^_`|~09azAZ")).isTrue();
  }

  @Test
  void separatorsSpacesControlsAnd8BitCharactersAreNot() {
    for (char c : "()<>@,;:\\\"/[]?={} \t\r\n\u0000\u007f\u00e9".toCharArray()) {
      assertThat(Tokens.isTchar(c)).as("U+%04X", (int) c).isFalse();
      assertThat(Tokens.isToken("a" + c + "b")).as("U+%04X inside", (int) c).isFalse();
    }
  }

  @Test
  void emptyAndNullAreNotTokens() {
    assertThat(Tokens.isToken("")).isFalse();
    assertThat(Tokens.isToken(null)).isFalse();
  }
}
