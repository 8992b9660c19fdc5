package io.canaryproxy.routing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CookiesTest {
  @ParameterizedTest(name = "[{0}] {1} -> {2}")
  @CsvSource(
      delimiter = '|',
      nullValues = "NULL",
      value = {
        "uid=abc                      | uid  | abc",
        "uid=abc; lang=en             | lang | en",
        "a=1;uid=abc;b=2              | uid  | abc",
        "  uid  =  abc  ; b=2         | uid  | abc",
        "a=1;\tuid=abc\t              | uid  | abc",
        "xuid=evil; uid=good          | uid  | good",
        "uidx=evil; uid=good          | uid  | good",
        "xuid=only                    | uid  | NULL",
        "UID=other                    | uid  | NULL",
        "uid=\"quoted\"               | uid  | quoted",
        "uid=\"                       | uid  | \"",
        "uid=\"\"                     | uid  | NULL",
        "uid=                         | uid  | NULL",
        "uid=; uid=second             | uid  | NULL",
        "uid=first; uid=second        | uid  | first",
        "uid=a=b                      | uid  | a=b",
        "novalue; uid=abc             | uid  | abc",
        "uid                          | uid  | NULL",
        ";;; uid=abc;                 | uid  | abc",
        "a=1; b=2                     | uid  | NULL",
        "x=1 uid=2                    | uid  | NULL"
      })
  void findsTheNamedCookie(String header, String name, String expected) {
    assertThat(Cookies.value(header, name)).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "grp=beta; x=1     | grp | beta  | true",
        "grp=\"beta\"      | grp | beta  | true",
        "grp=betas         | grp | beta  | false",
        "grp=bet           | grp | beta  | false",
        "xgrp=beta         | grp | beta  | false",
        "grp=Beta          | grp | beta  | false"
      })
  void comparesValuesWithoutCopying(String header, String name, String value, boolean expected) {
    assertThat(Cookies.valueEquals(header, name, value)).isEqualTo(expected);
  }
}
