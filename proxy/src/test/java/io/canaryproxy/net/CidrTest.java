package io.canaryproxy.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CidrTest {
  @ParameterizedTest(name = "{0} contains {1}: {2}")
  @CsvSource({
    "127.0.0.1/32, 127.0.0.1, true",
    "127.0.0.1/32, 127.0.0.2, false",
    "127.0.0.1, 127.0.0.1, true",
    "10.0.0.0/8, 10.255.1.2, true",
    "10.0.0.0/8, 11.0.0.1, false",
    "10.1.2.3/8, 10.9.9.9, true",
    "192.168.4.0/22, 192.168.7.255, true",
    "192.168.4.0/22, 192.168.8.0, false",
    "0.0.0.0/0, 203.0.113.9, true",
    "0.0.0.0/0, ::1, false",
    "10.0.0.0/8, ::ffff:10.1.2.3, true",
    "10.0.0.0/8, ::ffff:11.1.2.3, false",
    "::1/128, ::1, true",
    "::1/128, ::2, false",
    "::1, ::1, true",
    "::1/128, 127.0.0.1, false",
    "fd00::/8, fdab:cdef::1, true",
    "fd00::/8, fe80::1, false",
    "2001:db8::/32, 2001:db8:ffff:ffff::1, true",
    "2001:db8::/33, 2001:db8:8000::1, false",
    "::/0, 2001:db8::1, true",
    "::ffff:0:0/96, ::ffff:7f00:1, false",
    "2001:db8::10.0.0.0/120, 2001:db8::a00:ff, true",
    "2001:db8:0:0:0:0:0:0/64, 2001:db8::abcd, true",
    "1:2:3:4:5:6:7::/128, 1:2:3:4:5:6:7:0, true",
    "::2:3:4:5:6:7:8/128, 0:2:3:4:5:6:7:8, true"
  })
  void containsAddressesInItsRange(String cidr, String address, boolean expected)
      throws UnknownHostException {
    assertThat(Cidr.parse(cidr).contains(InetAddress.getByName(address))).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0/8",
            "10.0.0.0.0/8",
        "256.0.0.0/8", "1.2.3.4 /32", "localhost", "localhost/8", "fd00::/129", ":::1", "1::2::3",
            "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7:8::", "12345::1", "fe80::1%eth0", "g::1", "::1.2.3", "1.2.3.4::", "０.0.0.0"
      })
  void rejectsAnythingElse(String text) {
    assertThatThrownBy(() -> Cidr.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("\"" + text + "\" (expected: ");
  }

  @ParameterizedTest
  @CsvSource({
    "10.1.2.3/8, 10.0.0.0/8",
    "fd12:3456::1/16, fd12:0:0:0:0:0:0:0/16",
    "127.0.0.1, 127.0.0.1/32"
  })
  void clearsHostBits(String text, String printed) {
    assertThat(Cidr.parse(text)).hasToString(printed);
  }

  @ParameterizedTest
  @CsvSource({
    "127.0.0.1, true",
    "127.8.9.1, true",
    "::1, true",
    "10.0.0.1, false",
    "::, false",
    "::ffff:127.0.0.1, true"
  })
  void parsesLiteralsWithoutLookup(String literal, boolean loopback) {
    assertThat(Cidr.parseLiteral(literal).isLoopbackAddress()).isEqualTo(loopback);
  }

  @ParameterizedTest
  @ValueSource(strings = {"localhost", "example.com", "1.2.3", "[::1]"})
  void namesAreNotLiterals(String text) {
    assertThat(Cidr.parseLiteral(text)).isNull();
  }

  @org.junit.jupiter.api.Test
  void unknownAddressIsInNoRange() {
    assertThat(Cidr.parse("0.0.0.0/0").contains(null)).isFalse();
  }
}
