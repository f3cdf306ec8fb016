// Plain C# (no UnityEngine): decoder of schema v1 messages (hololens_bridge/PROTOCOL.md).
// It follows the reference Python codec (hololens_bridge/xai_bridge/codec.py) check for check,
// so a frame one side rejects the other rejects too; the golden files pin that.
using System;
using System.Collections.Generic;

namespace XaiBridge.Protocol
{
    /// <summary>
    /// Decodes one message, three frames <c>[topic, header, payload]</c>, into a
    /// <see cref="CloudFrame"/> or a <see cref="DecisionFrame"/>.
    /// <para>
    /// The header is never trusted: every inconsistency PROTOCOL.md "Validation" lists (not exactly
    /// three frames, header not a msgpack map, unknown <c>v</c> / <c>kind</c> / <c>encoding</c>, a
    /// field that runs past the end of the payload, a payload length that <c>n</c> and
    /// <c>encoding</c> do not explain, negative <c>n</c>), and a missing or mistyped key, throws a
    /// <see cref="ProtocolException"/> whose message names it. Unknown header keys are ignored.
    /// </para>
    /// Thread-safe: static and stateless, so the subscriber decodes on its network thread.
    /// </summary>
    public static class FrameDecoder
    {
        /// <summary>The only schema version this decoder reads.</summary>
        public const int SchemaVersion = 1;

        private static readonly string[] Encodings = { "q16", "f32" };

        /// <summary>Decodes a message received as a list of frames (e.g. a ZeroMQ multipart message).</summary>
        public static BridgeFrame Decode(IList<byte[]> frames)
        {
            if (frames == null) throw new ArgumentNullException("frames");
            if (frames.Count != 3)
                throw new ProtocolException(string.Format(
                    "a message has exactly 3 frames (topic, header, payload), got {0} frames", frames.Count));
            return Decode(frames[0], frames[1], frames[2]);
        }

        /// <summary>Decodes one binary WebSocket message / golden file (see <see cref="WsFraming"/>).</summary>
        public static BridgeFrame DecodeFramed(byte[] message)
        {
            return Decode(WsFraming.Unpack(message));
        }

        /// <summary>Decodes the three frames of one message.</summary>
        public static BridgeFrame Decode(byte[] topicFrame, byte[] headerFrame, byte[] payload)
        {
            if (topicFrame == null || headerFrame == null || payload == null)
                throw new ProtocolException("a message has exactly 3 frames (topic, header, payload); one of them is missing");

            string topic = DecodeTopic(topicFrame);
            Dictionary<string, object> header = UnpackHeader(headerFrame);

            object version;
            header.TryGetValue("v", out version);
            if (!(version is long) || (long)version != SchemaVersion)
                throw new ProtocolException(string.Format(
                    "unknown schema version v={0} (this decoder reads v={1})", Show(version), SchemaVersion));

            object kind;
            header.TryGetValue("kind", out kind);
            long seq = GetInt(header, "seq");
            long stampNs = GetInt(header, "stamp_ns");
            long sentNs = GetInt(header, "sent_ns");
            string frameId = GetString(header, "frame_id");

            BridgeFrame frame;
            if ("cloud".Equals(kind))
                frame = DecodeCloud(header, payload);
            else if ("decision".Equals(kind))
                frame = DecodeDecision(header, payload);
            else
                throw new ProtocolException(string.Format(
                    "unknown kind {0}; expected 'cloud' or 'decision'", Show(kind)));

            frame.Topic = topic;
            frame.Seq = seq;
            frame.StampNs = stampNs;
            frame.SentNs = sentNs;
            frame.FrameId = frameId;
            frame.Header = header;
            return frame;
        }

        // ------------------------------------------------------------------------------------
        // Header
        // ------------------------------------------------------------------------------------

        private static string DecodeTopic(byte[] topicFrame)
        {
            try
            {
                return new System.Text.UTF8Encoding(false, true).GetString(topicFrame);
            }
            catch (System.Text.DecoderFallbackException e)
            {
                throw new ProtocolException("topic frame is not UTF-8", e);
            }
        }

        private static Dictionary<string, object> UnpackHeader(byte[] headerFrame)
        {
            object value;
            try
            {
                value = MsgPackReader.Unpack(headerFrame);
            }
            catch (ProtocolException e)
            {
                throw new ProtocolException("header is not a valid msgpack map: " + e.Message, e);
            }
            var header = value as Dictionary<string, object>;
            if (header == null)
                throw new ProtocolException(string.Format(
                    "header must be a msgpack map, got a {0}", MsgPackReader.Describe(value)));
            return header;
        }

        // ------------------------------------------------------------------------------------
        // kind: cloud
        // ------------------------------------------------------------------------------------

        private static CloudFrame DecodeCloud(Dictionary<string, object> header, byte[] payload)
        {
            long n = GetInt(header, "n");
            if (n < 0)
                throw new ProtocolException(string.Format("n must be >= 0, got {0}", n));

            object encodingValue;
            header.TryGetValue("encoding", out encodingValue);
            string encoding = encodingValue as string;
            if (encoding == null || Array.IndexOf(Encodings, encoding) < 0)
                throw new ProtocolException(string.Format(
                    "unknown encoding {0}; expected one of ('q16', 'f32')", Show(encodingValue)));

            double scale = GetNumber(header, "scale");
            if (!(scale > 0.0) || double.IsInfinity(scale))
                throw new ProtocolException(string.Format(
                    "scale must be a finite number > 0, got {0}", Show(scale)));
            double[] origin = GetNumbers(header, "origin", 3);
            double[] attentionRange = GetNumbers(header, "attention_range", 2);
            string colormap = GetString(header, "colormap");
            object poseValue;
            header.TryGetValue("pose", out poseValue);
            Pose pose = DecodePose(poseValue);

            bool q16 = encoding == "q16";
            var layout = q16 ? Q16Layout : F32Layout;
            int[] offsets = FieldOffsets(header, layout, encoding, n, payload.Length);

            long expected = (q16 ? 7L : 16L) * n;
            if (payload.Length != expected)
                throw new ProtocolException(string.Format(
                    "payload is {0} bytes but n={1} {2} points need exactly {3}",
                    payload.Length, n, encoding, expected));

            int count = (int)n;  // fits: 7n or 16n equals an int array length
            var positions = new float[3 * count];
            var attention = new float[count];
            if (q16)
                DequantiseQ16(payload, offsets[0], offsets[1], count, scale, origin, attentionRange, positions, attention);
            else
                ReadF32(payload, offsets[0], offsets[1], count, scale, origin, positions, attention);

            return new CloudFrame
            {
                Count = count,
                Encoding = encoding,
                Positions = positions,
                Attention = attention,
                Colormap = colormap,
                Pose = pose,
                Scale = scale,
                Origin = origin,
                AttentionRange = attentionRange,
                PayloadBytes = payload.Length,
            };
        }

        /// <summary>One payload field as PROTOCOL.md fixes it per encoding.</summary>
        private struct FieldSpec
        {
            public string Name;
            public string Type;
            public int Count;

            public FieldSpec(string name, string type, int count)
            {
                Name = name;
                Type = type;
                Count = count;
            }
        }

        private static readonly FieldSpec[] Q16Layout =
        {
            new FieldSpec("position", "int16", 3), new FieldSpec("attention", "uint8", 1),
        };

        private static readonly FieldSpec[] F32Layout =
        {
            new FieldSpec("position", "float32", 3), new FieldSpec("attention", "float32", 1),
        };

        private static int TypeSize(string type)
        {
            switch (type)
            {
                case "int16": return 2;
                case "uint8": return 1;
                case "float32": return 4;
                default: return -1;
            }
        }

        /// <summary>
        /// Byte offsets of the position and attention fields from the header's <c>fields</c> list,
        /// each checked to lie inside the payload and to have the type / count the encoding requires.
        /// </summary>
        private static int[] FieldOffsets(
            Dictionary<string, object> header, FieldSpec[] layout, string encoding, long n, int payloadLength)
        {
            object fieldsValue;
            header.TryGetValue("fields", out fieldsValue);
            var fields = fieldsValue as List<object>;
            if (fields == null)
                throw new ProtocolException(string.Format(
                    "header key 'fields' must be a list of maps, got {0}", Show(fieldsValue)));

            var byName = new Dictionary<string, Dictionary<string, object>>(StringComparer.Ordinal);
            foreach (object entry in fields)
            {
                var field = entry as Dictionary<string, object>;
                if (field == null)
                    throw new ProtocolException(string.Format(
                        "each entry of 'fields' must be a map, got {0}", Show(entry)));
                object nameValue, typeValue, countValue, offsetValue;
                field.TryGetValue("name", out nameValue);
                field.TryGetValue("type", out typeValue);
                field.TryGetValue("count", out countValue);
                field.TryGetValue("offset", out offsetValue);
                string name = nameValue as string;
                string type = typeValue as string;
                if (name == null || type == null || TypeSize(type) < 0)
                    throw new ProtocolException(string.Format(
                        "field {0} needs a str name and a type in ('int16', 'uint8', 'float32'), got type {1}",
                        Show(nameValue), Show(typeValue)));
                if (!(countValue is long) || !(offsetValue is long) || (long)countValue < 0 || (long)offsetValue < 0)
                    throw new ProtocolException(string.Format(
                        "field '{0}' needs int count >= 0 and int offset >= 0, got count {1}, offset {2}",
                        name, Show(countValue), Show(offsetValue)));
                long offset = (long)offsetValue;
                long fieldCount = (long)countValue;
                // Checked: hostile n * count must not wrap around into a small number.
                long end;
                try
                {
                    end = checked(offset + n * fieldCount * TypeSize(type));
                }
                catch (OverflowException)
                {
                    end = long.MaxValue;
                }
                if (end > payloadLength)
                    throw new ProtocolException(string.Format(
                        "field '{0}' runs past the end of the payload (bytes {1}..{2} of a {3}-byte payload)",
                        name, offset, end == long.MaxValue ? "overflow" : end.ToString(), payloadLength));
                byName[name] = field;
            }

            var offsets = new int[layout.Length];
            for (int i = 0; i < layout.Length; i++)
            {
                Dictionary<string, object> field;
                if (!byName.TryGetValue(layout[i].Name, out field))
                    throw new ProtocolException(string.Format(
                        "{0} cloud has no '{1}' field", encoding, layout[i].Name));
                string type = (string)field["type"];
                long fieldCount = (long)field["count"];
                if (type != layout[i].Type || fieldCount != layout[i].Count)
                    throw new ProtocolException(string.Format(
                        "{0} field '{1}' must be {2} x {3}, got {4} x {5}",
                        encoding, layout[i].Name, layout[i].Type, layout[i].Count, type, fieldCount));
                offsets[i] = (int)(long)field["offset"];  // <= payload length, so fits
            }
            return offsets;
        }

        /// <summary>
        /// q16: <c>p = origin + q * scale</c> and <c>a = lo + u8 / 255 * (hi - lo)</c>, both in
        /// double then rounded to float, in the same operation order as the Python codec.
        /// </summary>
        private static void DequantiseQ16(
            byte[] payload, int positionOffset, int attentionOffset, int n,
            double scale, double[] origin, double[] range, float[] positions, float[] attention)
        {
            for (int i = 0; i < 3 * n; i++)
            {
                int at = positionOffset + 2 * i;
                short q = (short)(payload[at] | (payload[at + 1] << 8));  // little-endian int16
                positions[i] = (float)(q * scale + origin[i % 3]);
            }
            double lo = range[0], hi = range[1];
            for (int i = 0; i < n; i++)
                attention[i] = (float)(lo + payload[attentionOffset + i] / 255.0 * (hi - lo));
        }

        /// <summary>f32: float32 values as stored; origin / scale applied only when not the identity.</summary>
        private static void ReadF32(
            byte[] payload, int positionOffset, int attentionOffset, int n,
            double scale, double[] origin, float[] positions, float[] attention)
        {
            CopyLittleEndianFloats(payload, positionOffset, positions, 3 * n);
            CopyLittleEndianFloats(payload, attentionOffset, attention, n);
            if (scale != 1.0 || origin[0] != 0.0 || origin[1] != 0.0 || origin[2] != 0.0)
            {
                for (int i = 0; i < 3 * n; i++)
                    positions[i] = (float)(positions[i] * scale + origin[i % 3]);
            }
        }

        private static void CopyLittleEndianFloats(byte[] source, int offset, float[] destination, int count)
        {
            if (BitConverter.IsLittleEndian)
            {
                Buffer.BlockCopy(source, offset, destination, 0, 4 * count);
                return;
            }
            var word = new byte[4];
            for (int i = 0; i < count; i++)
            {
                for (int b = 0; b < 4; b++) word[b] = source[offset + 4 * i + 3 - b];
                destination[i] = BitConverter.ToSingle(word, 0);
            }
        }

        private static Pose DecodePose(object value)
        {
            if (value == null) return null;
            var map = value as Dictionary<string, object>;
            if (map == null)
                throw new ProtocolException(string.Format(
                    "pose must be a map or nil, got {0}", MsgPackReader.Describe(value)));
            object frame, t, q;
            map.TryGetValue("frame", out frame);
            map.TryGetValue("t", out t);
            map.TryGetValue("q", out q);
            double[] tv = AsNumbers(t, 3);
            double[] qv = AsNumbers(q, 4);
            if (!(frame is string) || tv == null || qv == null)
                throw new ProtocolException(
                    "pose must be {'frame': str, 't': [x, y, z], 'q': [x, y, z, w]}");
            return new Pose { Frame = (string)frame, T = tv, Q = qv };
        }

        // ------------------------------------------------------------------------------------
        // kind: decision
        // ------------------------------------------------------------------------------------

        private static DecisionFrame DecodeDecision(Dictionary<string, object> header, byte[] payload)
        {
            string policy = GetString(header, "policy");
            List<object> names = GetList(header, "action_names");
            var actionNames = new string[names.Count];
            for (int i = 0; i < names.Count; i++)
            {
                actionNames[i] = names[i] as string;
                if (actionNames[i] == null)
                    throw new ProtocolException("header key 'action_names' must be a list of str");
            }
            List<object> qList = GetList(header, "q_values");
            double[] qValues = AsNumbers(qList, qList.Count);
            if (qValues == null)
                throw new ProtocolException("header key 'q_values' must be a list of numbers");
            if (qValues.Length != 0 && qValues.Length != actionNames.Length)
                throw new ProtocolException(string.Format(
                    "q_values has {0} entries for {1} actions", qValues.Length, actionNames.Length));
            long chosen = GetInt(header, "chosen");
            if (chosen < 0 || chosen >= actionNames.Length)
                throw new ProtocolException(string.Format(
                    "chosen={0} is not an index into {1} action_names", chosen, actionNames.Length));
            if (payload.Length != 0)
                throw new ProtocolException(string.Format(
                    "decision payload must be empty, got {0} bytes", payload.Length));
            return new DecisionFrame
            {
                Policy = policy,
                ActionNames = actionNames,
                QValues = qValues,
                Chosen = (int)chosen,
            };
        }

        // ------------------------------------------------------------------------------------
        // Typed header access: missing key and wrong type are both ProtocolExceptions.
        // ------------------------------------------------------------------------------------

        private static object Require(Dictionary<string, object> header, string key)
        {
            object value;
            if (!header.TryGetValue(key, out value))
                throw new ProtocolException(string.Format("header has no '{0}' key", key));
            return value;
        }

        private static ProtocolException WrongType(string key, string expected, object value)
        {
            return new ProtocolException(string.Format(
                "header key '{0}' must be {1}, got {2}", key, expected, Show(value)));
        }

        private static long GetInt(Dictionary<string, object> header, string key)
        {
            object value = Require(header, key);
            if (value is long) return (long)value;
            if (value is ulong)
                throw new ProtocolException(string.Format(
                    "header key '{0}' = {1} does not fit a signed 64-bit int", key, value));
            throw WrongType(key, "int", value);
        }

        private static double GetNumber(Dictionary<string, object> header, string key)
        {
            object value = Require(header, key);
            double number;
            if (!TryNumber(value, out number)) throw WrongType(key, "float", value);
            return number;
        }

        private static string GetString(Dictionary<string, object> header, string key)
        {
            object value = Require(header, key);
            var s = value as string;
            if (s == null) throw WrongType(key, "str", value);
            return s;
        }

        private static List<object> GetList(Dictionary<string, object> header, string key)
        {
            object value = Require(header, key);
            var list = value as List<object>;
            if (list == null) throw WrongType(key, "list", value);
            return list;
        }

        private static double[] GetNumbers(Dictionary<string, object> header, string key, int length)
        {
            object value;
            header.TryGetValue(key, out value);
            double[] numbers = AsNumbers(value, length);
            if (numbers == null)
                throw new ProtocolException(string.Format(
                    "header key '{0}' must be a list of {1} numbers, got {2}", key, length, Show(value)));
            return numbers;
        }

        /// <summary>A list of exactly <paramref name="length"/> numbers as doubles, else null.</summary>
        private static double[] AsNumbers(object value, int length)
        {
            var list = value as List<object>;
            if (list == null || list.Count != length) return null;
            var numbers = new double[length];
            for (int i = 0; i < length; i++)
                if (!TryNumber(list[i], out numbers[i])) return null;
            return numbers;
        }

        /// <summary>msgpack ints count as numbers too (a producer may write 1 for 1.0).</summary>
        private static bool TryNumber(object value, out double number)
        {
            if (value is double) { number = (double)value; return true; }
            if (value is long) { number = (long)value; return true; }
            if (value is ulong) { number = (ulong)value; return true; }
            number = 0;
            return false;
        }

        /// <summary>A decoded value as it would read in Python, for error messages.</summary>
        private static string Show(object value)
        {
            if (value == null) return "None";
            if (value is string) return "'" + value + "'";
            if (value is bool) return (bool)value ? "True" : "False";
            if (value is double) return ((double)value).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            if (value is long || value is ulong) return value.ToString();
            return "a " + MsgPackReader.Describe(value);
        }
    }
}
