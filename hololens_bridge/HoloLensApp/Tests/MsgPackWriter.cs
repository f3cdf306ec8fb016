// Test helper (not shipped in the app): writes msgpack so the tests can build headers,
// valid and broken, without Python. Same choices as the Python codec (msgpack.packb with
// use_bin_type=True): the smallest int form, floats as float64, str for strings.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace XaiBridge.Protocol.Tests
{
    public static class MsgPackWriter
    {
        public static byte[] Pack(object value)
        {
            var stream = new MemoryStream();
            Write(stream, value);
            return stream.ToArray();
        }

        private static void Write(MemoryStream s, object value)
        {
            if (value == null) { s.WriteByte(0xc0); return; }
            if (value is bool) { s.WriteByte((bool)value ? (byte)0xc3 : (byte)0xc2); return; }
            if (value is int) { WriteInt(s, (int)value); return; }
            if (value is long) { WriteInt(s, (long)value); return; }
            if (value is ulong) { s.WriteByte(0xcf); BigEndian(s, (ulong)value, 8); return; }
            if (value is float) { value = (double)(float)value; }
            if (value is double)
            {
                s.WriteByte(0xcb);
                BigEndian(s, unchecked((ulong)BitConverter.DoubleToInt64Bits((double)value)), 8);
                return;
            }
            var str = value as string;
            if (str != null)
            {
                byte[] utf8 = Encoding.UTF8.GetBytes(str);
                if (utf8.Length < 32) s.WriteByte((byte)(0xa0 | utf8.Length));
                else if (utf8.Length < 0x100) { s.WriteByte(0xd9); BigEndian(s, (ulong)utf8.Length, 1); }
                else if (utf8.Length < 0x10000) { s.WriteByte(0xda); BigEndian(s, (ulong)utf8.Length, 2); }
                else { s.WriteByte(0xdb); BigEndian(s, (ulong)utf8.Length, 4); }
                s.Write(utf8, 0, utf8.Length);
                return;
            }
            var bin = value as byte[];
            if (bin != null)
            {
                if (bin.Length < 0x100) { s.WriteByte(0xc4); BigEndian(s, (ulong)bin.Length, 1); }
                else if (bin.Length < 0x10000) { s.WriteByte(0xc5); BigEndian(s, (ulong)bin.Length, 2); }
                else { s.WriteByte(0xc6); BigEndian(s, (ulong)bin.Length, 4); }
                s.Write(bin, 0, bin.Length);
                return;
            }
            var map = value as IDictionary<string, object>;
            if (map != null)
            {
                if (map.Count < 16) s.WriteByte((byte)(0x80 | map.Count));
                else if (map.Count < 0x10000) { s.WriteByte(0xde); BigEndian(s, (ulong)map.Count, 2); }
                else { s.WriteByte(0xdf); BigEndian(s, (ulong)map.Count, 4); }
                foreach (var entry in map)
                {
                    Write(s, entry.Key);
                    Write(s, entry.Value);
                }
                return;
            }
            var list = value as System.Collections.IList;
            if (list != null)
            {
                if (list.Count < 16) s.WriteByte((byte)(0x90 | list.Count));
                else if (list.Count < 0x10000) { s.WriteByte(0xdc); BigEndian(s, (ulong)list.Count, 2); }
                else { s.WriteByte(0xdd); BigEndian(s, (ulong)list.Count, 4); }
                foreach (object item in list) Write(s, item);
                return;
            }
            throw new ArgumentException("MsgPackWriter cannot write a " + value.GetType().Name);
        }

        private static void WriteInt(MemoryStream s, long v)
        {
            if (v >= 0)
            {
                if (v < 0x80) s.WriteByte((byte)v);
                else if (v < 0x100) { s.WriteByte(0xcc); BigEndian(s, (ulong)v, 1); }
                else if (v < 0x10000) { s.WriteByte(0xcd); BigEndian(s, (ulong)v, 2); }
                else if (v < 0x100000000L) { s.WriteByte(0xce); BigEndian(s, (ulong)v, 4); }
                else { s.WriteByte(0xcf); BigEndian(s, (ulong)v, 8); }
                return;
            }
            if (v >= -32) s.WriteByte(unchecked((byte)(sbyte)v));
            else if (v >= sbyte.MinValue) { s.WriteByte(0xd0); BigEndian(s, unchecked((ulong)v), 1); }
            else if (v >= short.MinValue) { s.WriteByte(0xd1); BigEndian(s, unchecked((ulong)v), 2); }
            else if (v >= int.MinValue) { s.WriteByte(0xd2); BigEndian(s, unchecked((ulong)v), 4); }
            else { s.WriteByte(0xd3); BigEndian(s, unchecked((ulong)v), 8); }
        }

        private static void BigEndian(MemoryStream s, ulong value, int width)
        {
            for (int i = width - 1; i >= 0; i--) s.WriteByte((byte)(value >> (8 * i)));
        }
    }
}
