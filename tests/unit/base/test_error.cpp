// Messages quote input text safely: utf8_sequence_length against a decoder written from the
// definition of UTF-8 by code point value (RFC 3629), over every 1-, 2- and 3-byte sequence and
// the 4-byte sequences' leading pairs; printable_text and quote_text on examples.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "base/error.hpp"

using namespace diffuse;

namespace {

// A sequence of `length` bytes is valid UTF-8 when its first byte announces that length, the rest
// are continuation bytes 10xxxxxx, and the code point it spells needs exactly that length (no
// overlong form), is not a UTF-16 surrogate and is at most U+10FFFF.
bool valid_by_code_point(const unsigned char* bytes, std::size_t length) {
  std::uint32_t code = 0;
  if (length == 2 && (bytes[0] >> 5) == 0x6) code = bytes[0] & 0x1f;
  else if (length == 3 && (bytes[0] >> 4) == 0xe) code = bytes[0] & 0x0f;
  else if (length == 4 && (bytes[0] >> 3) == 0x1e) code = bytes[0] & 0x07;
  else return false;
  for (std::size_t k = 1; k < length; ++k) {
    if ((bytes[k] >> 6) != 0x2) return false;
    code = (code << 6) | (bytes[k] & 0x3f);
  }
  const std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  return code >= smallest[length] && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
}

std::size_t expected_length(const unsigned char* bytes, std::size_t available) {
  for (std::size_t length = 2; length <= 4 && length <= available; ++length) {
    if (valid_by_code_point(bytes, length)) return length;
  }
  return 0;
}

std::size_t length_of(const unsigned char* bytes, std::size_t n) {
  return utf8_sequence_length(std::string_view(reinterpret_cast<const char*>(bytes), n), 0);
}

}  // namespace

TEST_CASE("utf8_sequence_length agrees with a code-point decoder on every short sequence") {
  unsigned char bytes[4];
  std::size_t mismatches = 0;
  for (int a = 0x80; a < 0x100; ++a) {  // ASCII is never asked: printable_text passes it as is
    bytes[0] = static_cast<unsigned char>(a);
    if (length_of(bytes, 1) != 0) ++mismatches;  // a lone lead byte is cut short
    for (int b = 0; b < 0x100; ++b) {
      bytes[1] = static_cast<unsigned char>(b);
      if (length_of(bytes, 2) != expected_length(bytes, 2)) ++mismatches;
      for (int c = 0; c < 0x100; ++c) {
        bytes[2] = static_cast<unsigned char>(c);
        if (length_of(bytes, 3) != expected_length(bytes, 3)) ++mismatches;
      }
      for (int d : {0x00, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xff}) {  // the 4th byte's classes
        bytes[2] = 0x80;
        bytes[3] = static_cast<unsigned char>(d);
        if (length_of(bytes, 4) != expected_length(bytes, 4)) ++mismatches;
      }
    }
  }
  CHECK(mismatches == 0);
}

TEST_CASE("printable_text keeps valid UTF-8 and escapes control bytes and invalid UTF-8") {
  CHECK(printable_text("plain text, 1.5") == "plain text, 1.5");
  CHECK(printable_text("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") == "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  CHECK(printable_text(std::string("a\0b\tc\x7f", 6)) == "a\\x00b\\x09c\\x7f");
  CHECK(printable_text("\xff\xfe") == "\\xff\\xfe");
  CHECK(printable_text("\xc3") == "\\xc3");                   // cut short
  CHECK(printable_text("\xc0\xaf") == "\\xc0\\xaf");           // overlong '/'
  CHECK(printable_text("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // a surrogate
  CHECK(printable_text("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");  // past U+10FFFF
}

TEST_CASE("quote_text quotes and shortens") {
  CHECK(quote_text("abc") == "'abc'");
  CHECK(quote_text(std::string(50, 'q'), 10) == "'qqqqqqqqqq...'");
  CHECK(quote_text("", 10) == "''");
  // A multi-byte character is not split by the cut: it ends the text whole.
  CHECK(quote_text("ab\xc3\xa9", 3) == "'ab\xc3\xa9'");
}
