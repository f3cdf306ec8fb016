// Test helper (not shipped in the app): a minimal JSON reader for the golden *.json files.
// Mono here has no System.Runtime.Serialization / System.Web.Extensions, so the tests carry
// their own parser: RFC 8259 values into plain objects.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace XaiBridge.Protocol.Tests
{
    /// <summary>
    /// Parses JSON text into: null, bool, long (integer literals that fit; exact, so 19-digit
    /// nanosecond stamps survive), double (everything else numeric), string,
    /// <see cref="List{Object}"/> and <see cref="Dictionary{String, Object}"/>.
    /// Throws <see cref="FormatException"/> naming the character offset on malformed input.
    /// </summary>
    public sealed class MiniJson
    {
        private readonly string _text;
        private int _pos;

        private MiniJson(string text)
        {
            _text = text;
        }

        public static object Parse(string text)
        {
            if (text == null) throw new ArgumentNullException("text");
            var parser = new MiniJson(text);
            parser.SkipWhitespace();
            object value = parser.ReadValue(0);
            parser.SkipWhitespace();
            if (parser._pos != text.Length) throw parser.Error("trailing characters after the JSON value");
            return value;
        }

        private object ReadValue(int depth)
        {
            if (depth > 64) throw Error("nesting too deep");
            if (_pos >= _text.Length) throw Error("unexpected end of input");
            char c = _text[_pos];
            switch (c)
            {
                case '{': return ReadObject(depth);
                case '[': return ReadArray(depth);
                case '"': return ReadString();
                case 't': Expect("true"); return true;
                case 'f': Expect("false"); return false;
                case 'n': Expect("null"); return null;
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) return ReadNumber();
                    throw Error(string.Format("unexpected character '{0}'", c));
            }
        }

        private Dictionary<string, object> ReadObject(int depth)
        {
            var map = new Dictionary<string, object>(StringComparer.Ordinal);
            _pos++;  // {
            SkipWhitespace();
            if (Peek() == '}') { _pos++; return map; }
            while (true)
            {
                SkipWhitespace();
                if (Peek() != '"') throw Error("expected a string key");
                string key = ReadString();
                SkipWhitespace();
                if (Peek() != ':') throw Error("expected ':'");
                _pos++;
                SkipWhitespace();
                map[key] = ReadValue(depth + 1);
                SkipWhitespace();
                char c = Peek();
                _pos++;
                if (c == '}') return map;
                if (c != ',') throw Error("expected ',' or '}'");
            }
        }

        private List<object> ReadArray(int depth)
        {
            var list = new List<object>();
            _pos++;  // [
            SkipWhitespace();
            if (Peek() == ']') { _pos++; return list; }
            while (true)
            {
                SkipWhitespace();
                list.Add(ReadValue(depth + 1));
                SkipWhitespace();
                char c = Peek();
                _pos++;
                if (c == ']') return list;
                if (c != ',') throw Error("expected ',' or ']'");
            }
        }

        private string ReadString()
        {
            _pos++;  // opening quote
            var sb = new StringBuilder();
            while (true)
            {
                if (_pos >= _text.Length) throw Error("unterminated string");
                char c = _text[_pos++];
                if (c == '"') return sb.ToString();
                if (c != '\\')
                {
                    if (c < 0x20) throw Error("control character in string");
                    sb.Append(c);
                    continue;
                }
                if (_pos >= _text.Length) throw Error("unterminated escape");
                char e = _text[_pos++];
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u':
                        if (_pos + 4 > _text.Length) throw Error("short \\u escape");
                        int code;
                        if (!int.TryParse(_text.Substring(_pos, 4), NumberStyles.HexNumber,
                                          CultureInfo.InvariantCulture, out code))
                            throw Error("bad \\u escape");
                        sb.Append((char)code);  // surrogate pairs arrive as two escapes
                        _pos += 4;
                        break;
                    default:
                        throw Error(string.Format("bad escape '\\{0}'", e));
                }
            }
        }

        private object ReadNumber()
        {
            int start = _pos;
            bool integral = true;
            if (Peek() == '-') _pos++;
            while (_pos < _text.Length)
            {
                char c = _text[_pos];
                if (c >= '0' && c <= '9') { _pos++; continue; }
                if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') { integral = false; _pos++; continue; }
                break;
            }
            string token = _text.Substring(start, _pos - start);
            if (integral)
            {
                long l;
                if (long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out l)) return l;
                ulong u;
                if (ulong.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out u)) return u;
            }
            double d;
            if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out d))
                throw Error(string.Format("bad number '{0}'", token));
            return d;
        }

        private void Expect(string literal)
        {
            if (string.CompareOrdinal(_text, _pos, literal, 0, literal.Length) != 0)
                throw Error(string.Format("expected '{0}'", literal));
            _pos += literal.Length;
        }

        private char Peek()
        {
            if (_pos >= _text.Length) throw Error("unexpected end of input");
            return _text[_pos];
        }

        private void SkipWhitespace()
        {
            while (_pos < _text.Length)
            {
                char c = _text[_pos];
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
                _pos++;
            }
        }

        private FormatException Error(string what)
        {
            return new FormatException(string.Format("JSON: {0} at offset {1}", what, _pos));
        }
    }
}
