// Plain C# (no UnityEngine): a minimal msgpack reader, enough for the xai_bridge headers.
//
// Why not MessagePack-CSharp: the headers are small maps read once per frame, so a
// dependency-free reader that a test can run under mono is worth more than speed here; the
// point arrays travel in the raw payload frame, never through msgpack.
using System;
using System.Collections.Generic;
using System.Text;

namespace XaiBridge.Protocol
{
    /// <summary>
    /// Reads msgpack values (https://github.com/msgpack/msgpack/blob/master/spec.md) from a byte
    /// range into plain .NET objects:
    /// <list type="bullet">
    /// <item>nil -> <c>null</c>; bool -> <see cref="bool"/></item>
    /// <item>every int / uint width (fixint, negative fixint, 8..64 bit) -> <see cref="long"/>,
    ///   except a uint64 above <see cref="long.MaxValue"/> -> <see cref="ulong"/></item>
    /// <item>float32 / float64 -> <see cref="double"/> (float32 widens exactly)</item>
    /// <item>fixstr / str8 / str16 / str32 -> <see cref="string"/> (strict UTF-8)</item>
    /// <item>bin8 / bin16 / bin32 -> <see cref="T:byte[]"/></item>
    /// <item>fixarray / array16 / array32 -> <see cref="List{Object}"/></item>
    /// <item>fixmap / map16 / map32 -> <see cref="Dictionary{String, Object}"/>: keys must be
    ///   strings (every map of schema v1 has string keys) and unique</item>
    /// </list>
    /// Anything else (ext types, the reserved byte 0xc1), a truncated buffer, nesting deeper than
    /// <see cref="MaxDepth"/> or invalid UTF-8 throws a <see cref="ProtocolException"/> that names
    /// the byte offset.
    /// </summary>
    public sealed class MsgPackReader
    {
        /// <summary>Deepest nesting of arrays / maps accepted (guards the stack against hostile input).</summary>
        public const int MaxDepth = 32;

        private static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(false, true);

        private readonly byte[] _buffer;
        private readonly int _start;
        private readonly int _end;
        private int _pos;

        public MsgPackReader(byte[] buffer) : this(buffer, 0, buffer == null ? 0 : buffer.Length)
        {
        }

        /// <summary>Reads from <paramref name="buffer"/>[offset, offset + count).</summary>
        public MsgPackReader(byte[] buffer, int offset, int count)
        {
            if (buffer == null) throw new ArgumentNullException("buffer");
            if (offset < 0 || count < 0 || offset > buffer.Length - count)
                throw new ArgumentOutOfRangeException("offset", "offset/count outside the buffer");
            _buffer = buffer;
            _start = offset;
            _end = offset + count;
            _pos = offset;
        }

        /// <summary>Bytes consumed so far, relative to the start of the range.</summary>
        public int Position { get { return _pos - _start; } }

        /// <summary>Bytes not read yet.</summary>
        public int Remaining { get { return _end - _pos; } }

        public bool AtEnd { get { return _pos >= _end; } }

        /// <summary>
        /// Decodes exactly one value that must fill the whole buffer; trailing bytes are an error
        /// (as in Python's <c>msgpack.unpackb</c>).
        /// </summary>
        public static object Unpack(byte[] data)
        {
            if (data == null) throw new ArgumentNullException("data");
            return Unpack(data, 0, data.Length);
        }

        /// <summary>As <see cref="Unpack(byte[])"/>, on <paramref name="data"/>[offset, offset + count).</summary>
        public static object Unpack(byte[] data, int offset, int count)
        {
            var reader = new MsgPackReader(data, offset, count);
            if (reader.AtEnd)
                throw new ProtocolException("msgpack: empty buffer, expected one value");
            object value = reader.ReadValue();
            if (!reader.AtEnd)
                throw new ProtocolException(string.Format(
                    "msgpack: {0} trailing byte(s) after the value (it ends at offset {1} of {2})",
                    reader.Remaining, reader.Position, count));
            return value;
        }

        /// <summary>Reads the next value (recursively for arrays and maps).</summary>
        public object ReadValue()
        {
            return ReadValue(0);
        }

        private object ReadValue(int depth)
        {
            int at = Position;
            byte tag = ReadByte("a type byte");

            if (tag <= 0x7f) return (long)tag;                      // positive fixint
            if (tag >= 0xe0) return (long)(sbyte)tag;               // negative fixint
            if (tag >= 0xa0 && tag <= 0xbf) return ReadString(tag & 0x1f, at);  // fixstr
            if (tag >= 0x90 && tag <= 0x9f) return ReadArray(tag & 0x0f, depth, at);  // fixarray
            if (tag >= 0x80 && tag <= 0x8f) return ReadMap(tag & 0x0f, depth, at);    // fixmap

            switch (tag)
            {
                case 0xc0: return null;
                case 0xc2: return false;
                case 0xc3: return true;

                case 0xc4: return ReadBytes(ReadLength(1, "bin8"), at);
                case 0xc5: return ReadBytes(ReadLength(2, "bin16"), at);
                case 0xc6: return ReadBytes(ReadLength(4, "bin32"), at);

                case 0xca:
                {
                    // Big-endian IEEE 754 single; BitConverter works in host order.
                    uint bits = (uint)ReadBigEndian(4, "float32");
                    return (double)BitConverter.ToSingle(BitConverter.GetBytes(bits), 0);
                }
                case 0xcb:
                {
                    ulong bits = ReadBigEndian(8, "float64");
                    return BitConverter.Int64BitsToDouble(unchecked((long)bits));
                }

                case 0xcc: return (long)ReadBigEndian(1, "uint8");
                case 0xcd: return (long)ReadBigEndian(2, "uint16");
                case 0xce: return (long)ReadBigEndian(4, "uint32");
                case 0xcf:
                {
                    ulong u = ReadBigEndian(8, "uint64");
                    if (u <= long.MaxValue) return (long)u;
                    return u;
                }

                case 0xd0: return (long)unchecked((sbyte)ReadBigEndian(1, "int8"));
                case 0xd1: return (long)unchecked((short)ReadBigEndian(2, "int16"));
                case 0xd2: return (long)unchecked((int)ReadBigEndian(4, "int32"));
                case 0xd3: return unchecked((long)ReadBigEndian(8, "int64"));

                case 0xd9: return ReadString(ReadLength(1, "str8"), at);
                case 0xda: return ReadString(ReadLength(2, "str16"), at);
                case 0xdb: return ReadString(ReadLength(4, "str32"), at);

                case 0xdc: return ReadArray(ReadLength(2, "array16"), depth, at);
                case 0xdd: return ReadArray(ReadLength(4, "array32"), depth, at);
                case 0xde: return ReadMap(ReadLength(2, "map16"), depth, at);
                case 0xdf: return ReadMap(ReadLength(4, "map32"), depth, at);

                case 0xc1:
                    throw new ProtocolException(string.Format(
                        "msgpack: byte 0xc1 at offset {0} is never used by msgpack", at));
                default:
                    // 0xc7..0xc9 ext8/16/32, 0xd4..0xd8 fixext: not part of the protocol.
                    throw new ProtocolException(string.Format(
                        "msgpack: unsupported type 0x{0:x2} ({1}) at offset {2}; "
                        + "xai_bridge headers use only nil, bool, int, float, str, bin, array and map",
                        tag, TypeName(tag), at));
            }
        }

        private static string TypeName(byte tag)
        {
            if (tag >= 0xc7 && tag <= 0xc9) return "ext";
            if (tag >= 0xd4 && tag <= 0xd8) return "fixext";
            return "unknown";
        }

        private List<object> ReadArray(int count, int depth, int at)
        {
            CheckDepth(depth, at);
            // Every element takes at least one byte: reject impossible counts before allocating.
            if (count > Remaining)
                throw Truncated(string.Format("an array of {0} elements", count), at, count);
            var list = new List<object>(count);
            for (int i = 0; i < count; i++) list.Add(ReadValue(depth + 1));
            return list;
        }

        private Dictionary<string, object> ReadMap(int count, int depth, int at)
        {
            CheckDepth(depth, at);
            // Every entry takes at least two bytes (key and value).
            if (count > Remaining / 2)
                throw Truncated(string.Format("a map of {0} entries", count), at, 2L * count);
            var map = new Dictionary<string, object>(count, StringComparer.Ordinal);
            for (int i = 0; i < count; i++)
            {
                int keyAt = Position;
                object key = ReadValue(depth + 1);
                var name = key as string;
                if (name == null)
                    throw new ProtocolException(string.Format(
                        "msgpack: map key at offset {0} is a {1}, expected a string",
                        keyAt, Describe(key)));
                if (map.ContainsKey(name))
                    throw new ProtocolException(string.Format(
                        "msgpack: duplicate map key \"{0}\" at offset {1}", name, keyAt));
                map.Add(name, ReadValue(depth + 1));
            }
            return map;
        }

        private string ReadString(int length, int at)
        {
            Need(length, "a string", at);
            string s;
            try
            {
                s = StrictUtf8.GetString(_buffer, _pos, length);
            }
            catch (DecoderFallbackException e)
            {
                throw new ProtocolException(string.Format(
                    "msgpack: string at offset {0} is not valid UTF-8", at), e);
            }
            _pos += length;
            return s;
        }

        private byte[] ReadBytes(int length, int at)
        {
            Need(length, "bin data", at);
            var bytes = new byte[length];
            Buffer.BlockCopy(_buffer, _pos, bytes, 0, length);
            _pos += length;
            return bytes;
        }

        /// <summary>A length prefix of <paramref name="width"/> bytes, as a non-negative int.</summary>
        private int ReadLength(int width, string what)
        {
            ulong length = ReadBigEndian(width, what + " length");
            if (length > int.MaxValue)
                throw new ProtocolException(string.Format(
                    "msgpack: {0} length {1} at offset {2} is too large", what, length, Position - width - 1));
            return (int)length;
        }

        private ulong ReadBigEndian(int width, string what)
        {
            Need(width, what, Position);
            ulong value = 0;
            for (int i = 0; i < width; i++) value = (value << 8) | _buffer[_pos + i];
            _pos += width;
            return value;
        }

        private byte ReadByte(string what)
        {
            Need(1, what, Position);
            return _buffer[_pos++];
        }

        private void Need(int count, string what, int at)
        {
            if (count > Remaining) throw Truncated(what, at, count);
        }

        private ProtocolException Truncated(string what, int at, long needed)
        {
            return new ProtocolException(string.Format(
                "msgpack: truncated: {0} (value at offset {1}) needs {2} more byte(s), only {3} left",
                what, at, needed, Remaining));
        }

        private static void CheckDepth(int depth, int at)
        {
            if (depth >= MaxDepth)
                throw new ProtocolException(string.Format(
                    "msgpack: nesting deeper than {0} levels at offset {1}", MaxDepth, at));
        }

        /// <summary>Short type name of a decoded value, for error messages.</summary>
        public static string Describe(object value)
        {
            if (value == null) return "nil";
            if (value is bool) return "bool";
            if (value is long || value is ulong) return "int";
            if (value is double) return "float";
            if (value is string) return "str";
            if (value is byte[]) return "bin";
            if (value is List<object>) return "array";
            if (value is Dictionary<string, object>) return "map";
            return value.GetType().Name;
        }
    }
}
