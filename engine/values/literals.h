// Go literals as Go's strconv writes them, so that a value reads as the program would print
// it: strconv.Quote, strconv.FormatFloat(f, 'g', -1, bits), strconv.FormatComplex.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace goinspect {

// strconv.Quote: "..." with \a \b \f \n \r \t \v \\ \", \xNN for a byte that is not UTF-8,
// \uNNNN / \UNNNNNNNN for a rune that is not printable. Printable follows unicode.IsPrint
// for ASCII and Latin-1 exactly; above U+00FF only the format characters and separators
// Go escapes (U+2028, U+2029, U+FEFF, U+FFF9..U+FFFB, U+E0001..) are escaped, a
// simplification of Go's tables.
std::string goQuote(std::string_view bytes);

// strconv.FormatFloat(f, 'g', -1, 64) and (f, 'g', -1, 32).
std::string goFloat64(double f);
std::string goFloat32(float f);
// strconv.FormatComplex(c, 'g', -1, 128 or 64): "(1+2i)".
std::string goComplex128(double re, double im);
std::string goComplex64(float re, float im);

// The longest prefix of `bytes` no longer than `limit` that does not end inside a UTF-8
// sequence (a cut string then shows whole runes).
size_t runeCut(std::string_view bytes, size_t limit);

}  // namespace goinspect
