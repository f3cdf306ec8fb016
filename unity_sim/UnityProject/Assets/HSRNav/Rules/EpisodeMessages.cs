// Plain C# (no UnityEngine): the JSON messages of the EpisodeConfigChannel side channel
// (UUID 3f6c2d1e-8b4a-4f1e-9c7d-2a5b6e8f9d01, unity_sim/CONTRACT.md), parsed and written here so
// mono can test them.
//
//   Python -> Unity  {"mode": "goal"|"sketch", "layout": str, "seed": int, "sketch_id": str}
//                    applied when the next episode begins; absent keys take the defaults
//                    ("goal", "", -1, ""); layout "" = procedural (goal mode) / the sketch's own
//                    layout (sketch mode); seed >= 0 re-seeds the random stream for that episode,
//                    -1 continues it; sketch_id "" = the build's own choice, or "random".
//                    Unknown keys and wrong types are rejected (as xai_sim.unity.channel does).
//   Unity -> Python  {"episode": int, "layout": str, "seed": int,
//                     "status": {"step", "collisions", "success", "reason", "ade_m", "fde_m"}}
//                    at each episode end; episode is 0-based; seed -1 if the episode continued a
//                    stream; ade_m / fde_m are -1.0 outside sketch mode.
//
// Framing: each message is one ML-Agents string (int32 little-endian byte count, then the bytes),
// i.e. OutgoingMessage.write_string / IncomingMessage.read_string on the Python side. ML-Agents' C#
// WriteString encodes ASCII, so the JSON written here escapes every non-ASCII character (\uXXXX;
// the text is then valid UTF-8 as well). Incoming bytes are decoded as UTF-8; bytes that are not
// length-prefixed (OutgoingMessage.set_raw_bytes of UTF-8 JSON) are accepted too.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace HSRNav.Rules
{
    /// <summary>A malformed side-channel message; the message says what is wrong.</summary>
    public sealed class MessageException : Exception
    {
        public MessageException(string message) : base(message)
        {
        }
    }

    /// <summary>Episode configuration requested by Python (CONTRACT.md "Python -> Unity").</summary>
    public sealed class EpisodeRequest
    {
        /// <summary>Seed value meaning "continue the random stream".</summary>
        public const long NoSeed = -1;

        /// <summary>"goal" or "sketch".</summary>
        public string Mode = "goal";

        /// <summary>A named layout, or "" = procedural (goal mode) / the sketch's own layout (sketch mode).</summary>
        public string Layout = "";

        /// <summary>&gt;= 0: re-seed the random stream for the next episode; -1: continue it.</summary>
        public long Seed = NoSeed;

        /// <summary>Sketch id, "random", or "" = the build's own choice.</summary>
        public string SketchId = "";

        public static readonly string[] KnownKeys = { "mode", "layout", "seed", "sketch_id" };

        /// <summary>Parses and validates one request; throws <see cref="MessageException"/>.</summary>
        public static EpisodeRequest Parse(string json)
        {
            object root = JsonLite.Parse(json);
            var map = root as Dictionary<string, object>;
            if (map == null) throw new MessageException("episode config: expected a JSON object");
            var request = new EpisodeRequest();
            foreach (var pair in map)
            {
                switch (pair.Key)
                {
                    case "mode":
                        request.Mode = RequireString(pair.Key, pair.Value);
                        if (request.Mode != "goal" && request.Mode != "sketch")
                            throw new MessageException("episode config: mode must be 'goal' or 'sketch', got '" + request.Mode + "'");
                        break;
                    case "layout":
                        request.Layout = RequireString(pair.Key, pair.Value);
                        break;
                    case "sketch_id":
                        request.SketchId = RequireString(pair.Key, pair.Value);
                        break;
                    case "seed":
                        if (!(pair.Value is long) || (long)pair.Value < NoSeed)
                            throw new MessageException("episode config: seed must be an integer >= -1, got " + JsonLite.Describe(pair.Value));
                        request.Seed = (long)pair.Value;
                        break;
                    default:
                        throw new MessageException("episode config: unknown key '" + pair.Key + "'; valid keys: "
                                                   + string.Join(", ", KnownKeys));
                }
            }
            return request;
        }

        private static string RequireString(string key, object value)
        {
            var s = value as string;
            if (s == null)
                throw new MessageException("episode config: " + key + " must be a string, got " + JsonLite.Describe(value));
            return s;
        }

        /// <summary>
        /// Folds a 64-bit seed into the 32-bit seed of <see cref="System.Random"/> (identity for seeds in
        /// int range; xor-folds larger ones).
        /// </summary>
        public static int FoldSeed(long seed)
        {
            if (seed >= int.MinValue && seed <= int.MaxValue) return (int)seed;
            return (int)(seed ^ (seed >> 32));
        }
    }

    /// <summary>The end-of-episode report sent to Python.</summary>
    public static class EpisodeReport
    {
        /// <summary>ade_m / fde_m outside sketch mode (CONTRACT.md; Python reads it as "not applicable").</summary>
        public const double NotApplicable = -1.0;

        /// <summary>
        /// <c>{"episode":..,"layout":..,"seed":..,"status":{"step","collisions","success","reason","ade_m","fde_m"}}</c>,
        /// ASCII only; a NaN ADE / FDE (goal mode) is written as -1.0.
        /// </summary>
        public static string ToJson(int episode, string layout, long seed, EpisodeStatus status)
        {
            var sb = new StringBuilder(160);
            sb.Append("{\"episode\":").Append(episode.ToString(CultureInfo.InvariantCulture));
            sb.Append(",\"layout\":");
            JsonLite.WriteString(sb, layout);
            sb.Append(",\"seed\":").Append(seed.ToString(CultureInfo.InvariantCulture));
            sb.Append(",\"status\":{\"step\":").Append(status.Step.ToString(CultureInfo.InvariantCulture));
            sb.Append(",\"collisions\":").Append(status.Collisions.ToString(CultureInfo.InvariantCulture));
            sb.Append(",\"success\":").Append(status.Success ? "true" : "false");
            sb.Append(",\"reason\":");
            JsonLite.WriteString(sb, status.Reason);
            sb.Append(",\"ade_m\":");
            JsonLite.WriteNumber(sb, double.IsNaN(status.Ade) ? NotApplicable : status.Ade);
            sb.Append(",\"fde_m\":");
            JsonLite.WriteNumber(sb, double.IsNaN(status.Fde) ? NotApplicable : status.Fde);
            sb.Append("}}");
            return sb.ToString();
        }
    }

    /// <summary>Side-channel payload framing (see the file header).</summary>
    public static class SideChannelText
    {
        /// <summary>The text of an incoming message: a length-prefixed string, or raw UTF-8.</summary>
        public static string Decode(byte[] raw)
        {
            if (raw == null || raw.Length == 0) throw new MessageException("empty side-channel message");
            if (raw.Length >= 4)
            {
                int n = raw[0] | (raw[1] << 8) | (raw[2] << 16) | (raw[3] << 24);
                if (n == raw.Length - 4)
                    return Utf8(raw, 4, n);
            }
            return Utf8(raw, 0, raw.Length);
        }

        /// <summary>The payload of an outgoing string message (what OutgoingMessage.WriteString writes).</summary>
        public static byte[] Encode(string ascii)
        {
            byte[] text = Encoding.ASCII.GetBytes(ascii);
            var raw = new byte[text.Length + 4];
            raw[0] = (byte)text.Length;
            raw[1] = (byte)(text.Length >> 8);
            raw[2] = (byte)(text.Length >> 16);
            raw[3] = (byte)(text.Length >> 24);
            Buffer.BlockCopy(text, 0, raw, 4, text.Length);
            return raw;
        }

        private static string Utf8(byte[] raw, int offset, int count)
        {
            try
            {
                return new UTF8Encoding(false, true).GetString(raw, offset, count);
            }
            catch (ArgumentException)
            {
                throw new MessageException("side-channel message is not UTF-8 text");
            }
        }
    }

    /// <summary>
    /// A small JSON reader / writer for the side-channel messages (objects, arrays, strings, numbers,
    /// true / false / null). Integers that fit come back as <c>long</c>, other numbers as <c>double</c>.
    /// </summary>
    public static class JsonLite
    {
        public static object Parse(string text)
        {
            if (text == null) throw new MessageException("JSON: no text");
            int pos = 0;
            SkipSpace(text, ref pos);
            object value = Value(text, ref pos, 0);
            SkipSpace(text, ref pos);
            if (pos != text.Length) throw Fail(pos, "trailing characters");
            return value;
        }

        public static string Describe(object value)
        {
            if (value == null) return "null";
            if (value is string) return "a string";
            if (value is bool) return "a bool";
            if (value is long || value is double) return "a number (" + Convert.ToString(value, CultureInfo.InvariantCulture) + ")";
            if (value is List<object>) return "an array";
            return "an object";
        }

        public static void WriteString(StringBuilder sb, string s)
        {
            if (s == null)
            {
                sb.Append("null");
                return;
            }
            sb.Append('"');
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    default:
                        if (c < 0x20 || c > 0x7e)
                            sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else
                            sb.Append(c);
                        break;
                }
            }
            sb.Append('"');
        }

        /// <summary>Round-trip number, always with a '.' or an exponent (so Python reads a float); NaN and
        /// infinities (not JSON) as null.</summary>
        public static void WriteNumber(StringBuilder sb, double value)
        {
            if (double.IsNaN(value) || double.IsInfinity(value))
            {
                sb.Append("null");
                return;
            }
            string text = value.ToString("R", CultureInfo.InvariantCulture);
            if (text.IndexOf('.') < 0 && text.IndexOf('E') < 0 && text.IndexOf('e') < 0) text += ".0";
            sb.Append(text);
        }

        private static object Value(string t, ref int pos, int depth)
        {
            if (depth > 32) throw Fail(pos, "nesting too deep");
            if (pos >= t.Length) throw Fail(pos, "unexpected end");
            char c = t[pos];
            if (c == '{') return ObjectValue(t, ref pos, depth);
            if (c == '[') return ArrayValue(t, ref pos, depth);
            if (c == '"') return StringValue(t, ref pos);
            if (c == '-' || (c >= '0' && c <= '9')) return NumberValue(t, ref pos);
            if (Literal(t, ref pos, "true")) return true;
            if (Literal(t, ref pos, "false")) return false;
            if (Literal(t, ref pos, "null")) return null;
            throw Fail(pos, "unexpected character '" + c + "'");
        }

        private static Dictionary<string, object> ObjectValue(string t, ref int pos, int depth)
        {
            var map = new Dictionary<string, object>(StringComparer.Ordinal);
            pos++;
            SkipSpace(t, ref pos);
            if (pos < t.Length && t[pos] == '}')
            {
                pos++;
                return map;
            }
            while (true)
            {
                SkipSpace(t, ref pos);
                if (pos >= t.Length || t[pos] != '"') throw Fail(pos, "expected a key");
                string key = StringValue(t, ref pos);
                SkipSpace(t, ref pos);
                if (pos >= t.Length || t[pos] != ':') throw Fail(pos, "expected ':'");
                pos++;
                SkipSpace(t, ref pos);
                if (map.ContainsKey(key)) throw Fail(pos, "duplicate key '" + key + "'");
                map[key] = Value(t, ref pos, depth + 1);
                SkipSpace(t, ref pos);
                if (pos >= t.Length) throw Fail(pos, "unexpected end");
                char c = t[pos++];
                if (c == '}') return map;
                if (c != ',') throw Fail(pos - 1, "expected ',' or '}'");
            }
        }

        private static List<object> ArrayValue(string t, ref int pos, int depth)
        {
            var list = new List<object>();
            pos++;
            SkipSpace(t, ref pos);
            if (pos < t.Length && t[pos] == ']')
            {
                pos++;
                return list;
            }
            while (true)
            {
                SkipSpace(t, ref pos);
                list.Add(Value(t, ref pos, depth + 1));
                SkipSpace(t, ref pos);
                if (pos >= t.Length) throw Fail(pos, "unexpected end");
                char c = t[pos++];
                if (c == ']') return list;
                if (c != ',') throw Fail(pos - 1, "expected ',' or ']'");
            }
        }

        private static string StringValue(string t, ref int pos)
        {
            var sb = new StringBuilder();
            pos++;
            while (true)
            {
                if (pos >= t.Length) throw Fail(pos, "unterminated string");
                char c = t[pos++];
                if (c == '"') return sb.ToString();
                if (c < 0x20) throw Fail(pos - 1, "control character in a string");
                if (c != '\\')
                {
                    sb.Append(c);
                    continue;
                }
                if (pos >= t.Length) throw Fail(pos, "unterminated escape");
                char e = t[pos++];
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
                        int code;
                        if (pos + 4 > t.Length || !int.TryParse(t.Substring(pos, 4), NumberStyles.AllowHexSpecifier,
                                                               CultureInfo.InvariantCulture, out code))
                            throw Fail(pos, "bad \\u escape");
                        sb.Append((char)code);
                        pos += 4;
                        break;
                    default:
                        throw Fail(pos - 1, "bad escape");
                }
            }
        }

        private static object NumberValue(string t, ref int pos)
        {
            int start = pos;
            bool integral = true;
            if (t[pos] == '-') pos++;
            while (pos < t.Length)
            {
                char c = t[pos];
                if (c >= '0' && c <= '9')
                {
                    pos++;
                }
                else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')
                {
                    integral = false;
                    pos++;
                }
                else
                {
                    break;
                }
            }
            string token = t.Substring(start, pos - start);
            long l;
            if (integral && long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out l))
                return l;
            double d;
            if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out d))
                throw Fail(start, "bad number '" + token + "'");
            return d;
        }

        private static bool Literal(string t, ref int pos, string word)
        {
            if (string.CompareOrdinal(t, pos, word, 0, word.Length) != 0) return false;
            pos += word.Length;
            return true;
        }

        private static void SkipSpace(string t, ref int pos)
        {
            while (pos < t.Length && (t[pos] == ' ' || t[pos] == '\t' || t[pos] == '\n' || t[pos] == '\r')) pos++;
        }

        private static MessageException Fail(int pos, string what)
        {
            return new MessageException("JSON: " + what + " at offset " + pos.ToString(CultureInfo.InvariantCulture));
        }
    }
}
