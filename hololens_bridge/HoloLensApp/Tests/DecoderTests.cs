// Console test program for the plain-C# decoder (no NUnit here): each test is a method, each
// prints PASS or FAIL, the exit code is non-zero when any test failed.
//
//   mono DecoderTests.exe <golden-dir>
//
// <golden-dir> is hololens_bridge/tests/golden: every <name>.json there is checked against
// <name>.bin (every key of the JSON is compared), bad_*.bin and JSONs with "reject": true must be
// rejected with a ProtocolException. Run it through HoloLensApp/build_tests.sh.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace XaiBridge.Protocol.Tests
{
    /// <summary>A failed expectation; the message says what differed.</summary>
    public sealed class AssertionFailed : Exception
    {
        public AssertionFailed(string message) : base(message)
        {
        }
    }

    public static class DecoderTests
    {
        /// <summary>Relative tolerance for floats compared with the golden JSON.</summary>
        private const double RelativeTolerance = 1e-6;

        private static int _passed;
        private static int _failed;

        public static int Main(string[] args)
        {
            if (args.Length != 1)
            {
                Console.Error.WriteLine("usage: mono DecoderTests.exe <golden-dir>   (hololens_bridge/tests/golden)");
                return 2;
            }

            // msgpack reader
            Run("msgpack int widths", MsgPackIntWidths);
            Run("msgpack floats", MsgPackFloats);
            Run("msgpack str and bin widths", MsgPackStrAndBinWidths);
            Run("msgpack array and map widths", MsgPackArrayAndMapWidths);
            Run("msgpack rejects bad input", MsgPackRejectsBadInput);
            Run("msgpack matches the test writer", MsgPackRoundTrip);

            // framing and decoding
            Run("ws framing round trip", WsFramingRoundTrip);
            Run("ws framing rejects truncation", WsFramingRejectsTruncation);
            Run("decode q16 cloud", DecodeQ16Cloud);
            Run("decode f32 cloud with origin and scale", DecodeF32Cloud);
            Run("decode decision", DecodeDecision);
            Run("decode ignores unknown keys and accepts any int width", DecodeIgnoresUnknownKeys);
            Run("validation: every PROTOCOL.md case is rejected", ValidationCases);

            // viewer helpers
            Run("colormaps", ColormapValues);
            Run("threshold filter", ThresholdFilter);
            Run("z85 and curve certificates", CurveCertificates);
            Run("ros to unity conversion", RosToUnityConversion);

            RunGolden(args[0]);

            // The plain closing line CI reads: "N passed, N failed".
            Console.WriteLine("{0} passed, {1} failed", _passed, _failed);
            return _failed == 0 ? 0 : 1;
        }

        private static void Run(string name, Action test)
        {
            try
            {
                test();
                _passed++;
                Console.WriteLine("PASS " + name);
            }
            catch (Exception e)
            {
                _failed++;
                string what = e is AssertionFailed ? e.Message : e.GetType().Name + ": " + e.Message;
                Console.WriteLine("FAIL " + name + ": " + what);
            }
        }

        // ======================================================================================
        // Assertions
        // ======================================================================================

        private static void True(bool condition, string message)
        {
            if (!condition) throw new AssertionFailed(message);
        }

        private static void Equal<T>(T expected, T actual, string what)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
                throw new AssertionFailed(string.Format("{0}: expected {1}, got {2}", what, expected, actual));
        }

        private static bool Close(double expected, double actual)
        {
            if (expected == actual) return true;
            if (double.IsNaN(expected) || double.IsNaN(actual)) return false;
            return Math.Abs(expected - actual) <= RelativeTolerance * Math.Max(Math.Abs(expected), Math.Abs(actual));
        }

        private static void Near(double expected, double actual, string what)
        {
            if (!Close(expected, actual))
                throw new AssertionFailed(string.Format(CultureInfo.InvariantCulture,
                    "{0}: expected {1:R}, got {2:R}", what, expected, actual));
        }

        /// <summary>Runs <paramref name="action"/>, which must throw a ProtocolException whose message contains <paramref name="fragment"/>.</summary>
        private static ProtocolException Rejects(Action action, string fragment, string what)
        {
            try
            {
                action();
            }
            catch (ProtocolException e)
            {
                if (fragment != null && e.Message.IndexOf(fragment, StringComparison.OrdinalIgnoreCase) < 0)
                    throw new AssertionFailed(string.Format(
                        "{0}: rejected, but the message \"{1}\" does not mention \"{2}\"", what, e.Message, fragment));
                return e;
            }
            catch (Exception e)
            {
                throw new AssertionFailed(string.Format(
                    "{0}: expected a ProtocolException, got {1}: {2}", what, e.GetType().Name, e.Message));
            }
            throw new AssertionFailed(what + ": was accepted, expected a ProtocolException");
        }

        private static byte[] Bytes(params int[] values)
        {
            return values.Select(v => (byte)v).ToArray();
        }

        // ======================================================================================
        // msgpack reader
        // ======================================================================================

        private static void MsgPackIntWidths()
        {
            var cases = new[]
            {
                Tuple.Create(Bytes(0x00), 0L),
                Tuple.Create(Bytes(0x7f), 127L),                                   // positive fixint
                Tuple.Create(Bytes(0xff), -1L),                                    // negative fixint
                Tuple.Create(Bytes(0xe0), -32L),
                Tuple.Create(Bytes(0xcc, 0xff), 255L),                             // uint8
                Tuple.Create(Bytes(0xcd, 0x01, 0x00), 256L),                       // uint16
                Tuple.Create(Bytes(0xcd, 0xff, 0xff), 65535L),
                Tuple.Create(Bytes(0xce, 0xff, 0xff, 0xff, 0xff), 4294967295L),    // uint32
                Tuple.Create(Bytes(0xcf, 0, 0, 0, 1, 0, 0, 0, 0), 4294967296L),   // uint64
                Tuple.Create(Bytes(0xcf, 0x17, 0x97, 0x9c, 0xfe, 0x36, 0x2a, 0x00, 0x00), 1700000000000000000L),
                Tuple.Create(Bytes(0xd0, 0x80), -128L),                            // int8
                Tuple.Create(Bytes(0xd0, 0x7f), 127L),
                Tuple.Create(Bytes(0xd1, 0x80, 0x00), -32768L),                    // int16
                Tuple.Create(Bytes(0xd2, 0x80, 0, 0, 0), (long)int.MinValue),      // int32
                Tuple.Create(Bytes(0xd2, 0xff, 0xff, 0xff, 0xfe), -2L),
                Tuple.Create(Bytes(0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0), long.MinValue), // int64
                Tuple.Create(Bytes(0xd3, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), long.MaxValue),
            };
            foreach (var c in cases)
            {
                object value = MsgPackReader.Unpack(c.Item1);
                True(value is long, string.Format("0x{0:x2}...: expected a long, got {1}", c.Item1[0], MsgPackReader.Describe(value)));
                Equal(c.Item2, (long)value, string.Format("value of 0x{0}", BitConverter.ToString(c.Item1)));
            }
            object big = MsgPackReader.Unpack(Bytes(0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
            True(big is ulong && (ulong)big == ulong.MaxValue, "uint64 max must decode as ulong.MaxValue");
            Equal(null, MsgPackReader.Unpack(Bytes(0xc0)), "nil");
            Equal((object)false, MsgPackReader.Unpack(Bytes(0xc2)), "false");
            Equal((object)true, MsgPackReader.Unpack(Bytes(0xc3)), "true");
        }

        private static void MsgPackFloats()
        {
            Equal((object)1.0, MsgPackReader.Unpack(Bytes(0xca, 0x3f, 0x80, 0, 0)), "float32 1.0");
            Equal((object)-2.5, MsgPackReader.Unpack(Bytes(0xca, 0xc0, 0x20, 0, 0)), "float32 -2.5");
            Equal((object)(double)0.1f, MsgPackReader.Unpack(Bytes(0xca, 0x3d, 0xcc, 0xcc, 0xcd)), "float32 0.1 widens exactly");
            Equal((object)1.0, MsgPackReader.Unpack(Bytes(0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0)), "float64 1.0");
            Equal((object)0.001, MsgPackReader.Unpack(Bytes(0xcb, 0x3f, 0x50, 0x62, 0x4d, 0xd2, 0xf1, 0xa9, 0xfc)), "float64 0.001");
            object inf = MsgPackReader.Unpack(Bytes(0xcb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0));
            True(double.IsPositiveInfinity((double)inf), "float64 +inf");
        }

        private static void MsgPackStrAndBinWidths()
        {
            Equal((object)"", MsgPackReader.Unpack(Bytes(0xa0)), "empty fixstr");
            Equal((object)"abc", MsgPackReader.Unpack(Bytes(0xa3, 'a', 'b', 'c')), "fixstr");
            Equal((object)"abc", MsgPackReader.Unpack(Bytes(0xd9, 3, 'a', 'b', 'c')), "str8");
            Equal((object)"abc", MsgPackReader.Unpack(Bytes(0xda, 0, 3, 'a', 'b', 'c')), "str16");
            Equal((object)"abc", MsgPackReader.Unpack(Bytes(0xdb, 0, 0, 0, 3, 'a', 'b', 'c')), "str32");
            Equal((object)"é", MsgPackReader.Unpack(Bytes(0xa2, 0xc3, 0xa9)), "UTF-8 fixstr");
            string longText = new string('x', 300);
            Equal((object)longText, MsgPackReader.Unpack(MsgPackWriter.Pack(longText)), "str16 of 300 chars");

            var bin = new[] { Bytes(0xc4, 2, 7, 9), Bytes(0xc5, 0, 2, 7, 9), Bytes(0xc6, 0, 0, 0, 2, 7, 9) };
            foreach (byte[] encoded in bin)
            {
                var value = MsgPackReader.Unpack(encoded) as byte[];
                True(value != null && value.Length == 2 && value[0] == 7 && value[1] == 9,
                     "bin 0x" + encoded[0].ToString("x2") + " must decode to [7, 9]");
            }
        }

        private static void MsgPackArrayAndMapWidths()
        {
            var arrays = new[] { Bytes(0x92, 1, 2), Bytes(0xdc, 0, 2, 1, 2), Bytes(0xdd, 0, 0, 0, 2, 1, 2) };
            foreach (byte[] encoded in arrays)
            {
                var list = MsgPackReader.Unpack(encoded) as List<object>;
                True(list != null && list.Count == 2 && (long)list[0] == 1 && (long)list[1] == 2,
                     "array 0x" + encoded[0].ToString("x2") + " must decode to [1, 2]");
            }
            var maps = new[]
            {
                Bytes(0x81, 0xa1, 'k', 5), Bytes(0xde, 0, 1, 0xa1, 'k', 5), Bytes(0xdf, 0, 0, 0, 1, 0xa1, 'k', 5),
            };
            foreach (byte[] encoded in maps)
            {
                var map = MsgPackReader.Unpack(encoded) as Dictionary<string, object>;
                True(map != null && map.Count == 1 && (long)map["k"] == 5,
                     "map 0x" + encoded[0].ToString("x2") + " must decode to {k: 5}");
            }
            var big = Enumerable.Range(0, 20).Cast<object>().ToList();
            var back = (List<object>)MsgPackReader.Unpack(MsgPackWriter.Pack(big));
            Equal(20, back.Count, "array16 of 20 elements");
        }

        private static void MsgPackRejectsBadInput()
        {
            Rejects(() => MsgPackReader.Unpack(new byte[0]), "empty", "empty buffer");
            Rejects(() => MsgPackReader.Unpack(Bytes(0xc1)), "0xc1", "reserved 0xc1");
            Rejects(() => MsgPackReader.Unpack(Bytes(0xd4, 1, 2)), "unsupported type 0xd4", "fixext1");
            Rejects(() => MsgPackReader.Unpack(Bytes(0xc7, 1, 1, 2)), "unsupported type 0xc7", "ext8");
            Rejects(() => MsgPackReader.Unpack(Bytes(0xcd, 0x01)), "truncated", "uint16 cut short");
            Rejects(() => MsgPackReader.Unpack(Bytes(0xcb, 0, 0, 0)), "truncated", "float64 cut short");
            Rejects(() => MsgPackReader.Unpack(Bytes(0xa5, 'a', 'b')), "truncated", "fixstr cut short");
            Rejects(() => MsgPackReader.Unpack(Bytes(0xc6, 0xff, 0xff, 0xff, 0xff)), null, "bin32 announcing 4 GB");
            Rejects(() => MsgPackReader.Unpack(Bytes(0xdd, 0x7f, 0xff, 0xff, 0xff)), "truncated", "array32 announcing 2^31 elements");
            Rejects(() => MsgPackReader.Unpack(Bytes(0xdf, 0x00, 0xff, 0xff, 0xff, 0xc0)), "truncated", "map32 announcing 16M entries");
            Rejects(() => MsgPackReader.Unpack(Bytes(0x92, 1)), "truncated", "array missing an element");
            Rejects(() => MsgPackReader.Unpack(Bytes(0xa2, 0xc3, 0x28)), "UTF-8", "invalid UTF-8");
            Rejects(() => MsgPackReader.Unpack(Bytes(0x81, 0x01, 0x02)), "expected a string", "int map key");
            Rejects(() => MsgPackReader.Unpack(Bytes(0x82, 0xa1, 'a', 1, 0xa1, 'a', 2)), "duplicate", "duplicate key");
            Rejects(() => MsgPackReader.Unpack(Bytes(0x01, 0x02)), "trailing", "trailing bytes");
            var deep = new byte[MsgPackReader.MaxDepth + 2];
            for (int i = 0; i < deep.Length - 1; i++) deep[i] = 0x91;  // [[[[...]]]]
            deep[deep.Length - 1] = 0x00;
            Rejects(() => MsgPackReader.Unpack(deep), "nesting", "deep nesting");
        }

        private static void MsgPackRoundTrip()
        {
            var value = new Dictionary<string, object>
            {
                { "nil", null }, { "t", true }, { "i", -123456789012L }, { "u", 200L }, { "d", 3.25 },
                { "s", "héllo" }, { "list", new List<object> { 1L, "two", 3.5, null } },
                { "map", new Dictionary<string, object> { { "inner", -1L } } },
            };
            var back = (Dictionary<string, object>)MsgPackReader.Unpack(MsgPackWriter.Pack(value));
            Equal(value.Count, back.Count, "entries");
            Equal(null, back["nil"], "nil");
            Equal((object)true, back["t"], "bool");
            Equal((object)-123456789012L, back["i"], "int64");
            Equal((object)200L, back["u"], "uint8");
            Equal((object)3.25, back["d"], "float64");
            Equal((object)"héllo", back["s"], "str");
            var list = (List<object>)back["list"];
            True(list.Count == 4 && (long)list[0] == 1 && (string)list[1] == "two" && (double)list[2] == 3.5 && list[3] == null, "list");
            Equal((object)-1L, ((Dictionary<string, object>)back["map"])["inner"], "nested map");
        }

        // ======================================================================================
        // Messages built here (valid and broken)
        // ======================================================================================

        private static Dictionary<string, object> CommonHeader(string kind)
        {
            return new Dictionary<string, object>
            {
                { "v", 1 }, { "kind", kind }, { "seq", 7 }, { "stamp_ns", 1700000000123456768L },
                { "sent_ns", 1700000000125456896L }, { "frame_id", "head_rgbd_sensor_rgb_frame" },
            };
        }

        private static List<object> Fields(string positionType, string attentionType, int attentionOffset)
        {
            return new List<object>
            {
                new Dictionary<string, object> { { "name", "position" }, { "type", positionType }, { "count", 3 }, { "offset", 0 } },
                new Dictionary<string, object> { { "name", "attention" }, { "type", attentionType }, { "count", 1 }, { "offset", attentionOffset } },
            };
        }

        /// <summary>A valid q16 cloud of 3 points: header map and payload.</summary>
        private static Dictionary<string, object> Q16Header(int n)
        {
            var header = CommonHeader("cloud");
            header["n"] = n;
            header["encoding"] = "q16";
            header["fields"] = Fields("int16", "uint8", 6 * n);
            header["scale"] = 0.002;
            header["origin"] = new List<object> { 1.0, -2.0, 0.5 };
            header["attention_range"] = new List<object> { 0.0, 2.0 };
            header["colormap"] = "turbo";
            header["pose"] = new Dictionary<string, object>
            {
                { "frame", "map" }, { "t", new List<object> { 1.5, -0.25, 1.0 } },
                { "q", new List<object> { 0.0, 0.0, 0.6, 0.8 } },
            };
            return header;
        }

        private static readonly short[] Q16Grid = { 0, 0, 0, 1000, -500, 32767, -32767, 1, -1 };
        private static readonly byte[] Q16Levels = { 0, 255, 128 };

        private static byte[] Q16Payload()
        {
            var payload = new byte[7 * 3];
            for (int i = 0; i < 9; i++)
            {
                payload[2 * i] = (byte)Q16Grid[i];
                payload[2 * i + 1] = (byte)(Q16Grid[i] >> 8);
            }
            Buffer.BlockCopy(Q16Levels, 0, payload, 18, 3);
            return payload;
        }

        private static BridgeFrame DecodeBuilt(Dictionary<string, object> header, byte[] payload, string topic = "cloud/attention")
        {
            return FrameDecoder.Decode(Encoding.UTF8.GetBytes(topic), MsgPackWriter.Pack(header), payload);
        }

        private static void WsFramingRoundTrip()
        {
            byte[] topic = Encoding.UTF8.GetBytes("cloud/attention");
            byte[] header = MsgPackWriter.Pack(Q16Header(3));
            byte[] payload = Q16Payload();
            byte[] framed = WsFraming.Pack(topic, header, payload);
            Equal(8 + topic.Length + header.Length + payload.Length, framed.Length, "framed length");
            Equal(topic.Length, (int)BitConverter.ToUInt32(framed, 0), "topic_len is uint32 LE");
            byte[][] frames = WsFraming.Unpack(framed);
            True(frames[0].SequenceEqual(topic) && frames[1].SequenceEqual(header) && frames[2].SequenceEqual(payload),
                 "unpack(pack(frames)) must give the frames back");
            var decoded = (CloudFrame)FrameDecoder.DecodeFramed(framed);
            Equal(3, decoded.Count, "n of the framed cloud");
            byte[][] empty = WsFraming.Unpack(WsFraming.Pack(topic, header, new byte[0]));
            Equal(0, empty[2].Length, "an empty payload survives framing");
        }

        private static void WsFramingRejectsTruncation()
        {
            byte[] framed = WsFraming.Pack(Encoding.UTF8.GetBytes("decision"), MsgPackWriter.Pack(CommonHeader("decision")), new byte[0]);
            Rejects(() => WsFraming.Unpack(Bytes(1, 0)), "ends before the topic length", "2-byte message");
            Rejects(() => WsFraming.Unpack(framed.Take(6).ToArray()), "topic length 8 runs past the end of the message", "cut inside the topic");
            Rejects(() => WsFraming.Unpack(framed.Take(12).ToArray()), "ends before the header length", "cut before the header length");
            Rejects(() => WsFraming.Unpack(framed.Take(framed.Length - 1).ToArray()), "header length", "cut inside the header");
            Rejects(() => WsFraming.Unpack(Bytes(0xff, 0xff, 0xff, 0xff)), "runs past the end", "topic length 2^32-1");
        }

        private static void DecodeQ16Cloud()
        {
            var cloud = (CloudFrame)DecodeBuilt(Q16Header(3), Q16Payload());
            Equal("cloud/attention", cloud.Topic, "topic");
            Equal("cloud", cloud.Kind, "kind");
            Equal(7L, cloud.Seq, "seq");
            Equal(1700000000123456768L, cloud.StampNs, "stamp_ns");
            Equal(1700000000125456896L, cloud.SentNs, "sent_ns");
            Equal("head_rgbd_sensor_rgb_frame", cloud.FrameId, "frame_id");
            Equal(3, cloud.Count, "n");
            Equal("q16", cloud.Encoding, "encoding");
            Equal("turbo", cloud.Colormap, "colormap");
            Equal(21, cloud.PayloadBytes, "payload bytes");
            double[] origin = { 1.0, -2.0, 0.5 };
            for (int i = 0; i < 9; i++)
                Equal((float)(Q16Grid[i] * 0.002 + origin[i % 3]), cloud.Positions[i], "position[" + i + "] = origin + q * scale");
            for (int i = 0; i < 3; i++)
                Equal((float)(0.0 + Q16Levels[i] / 255.0 * 2.0), cloud.Attention[i], "attention[" + i + "] = lo + u8/255 (hi - lo)");
            Near(66.034, cloud.Positions[5], "q = 32767 reaches origin.z + 65.534 m");
            Equal("map", cloud.Pose.Frame, "pose frame");
            True(cloud.Pose.T.SequenceEqual(new[] { 1.5, -0.25, 1.0 }), "pose t");
            True(cloud.Pose.Q.SequenceEqual(new[] { 0.0, 0.0, 0.6, 0.8 }), "pose q");
        }

        private static void DecodeF32Cloud()
        {
            var header = CommonHeader("cloud");
            header["n"] = 2;
            header["encoding"] = "f32";
            header["fields"] = Fields("float32", "float32", 24);
            header["scale"] = 1;  // an int where a float is expected is fine
            header["origin"] = new List<object> { 0, 0, 0 };
            header["attention_range"] = new List<object> { 0.0, 1.0 };
            header["colormap"] = "no-such-map";  // unknown ids are the client's to replace
            header["pose"] = null;
            float[] values = { 1.25f, -0.5f, 0.1f, 3f, 4f, -5f, 0.25f, 0.75f };
            var payload = new byte[32];
            Buffer.BlockCopy(values, 0, payload, 0, 32);
            var cloud = (CloudFrame)DecodeBuilt(header, payload, "cloud/odam");
            True(cloud.Positions.SequenceEqual(values.Take(6)), "f32 positions are the stored floats");
            True(cloud.Attention.SequenceEqual(values.Skip(6)), "f32 attention is stored as is");
            True(cloud.Pose == null, "pose nil decodes to null");
            Equal(ColormapId.Jet, Colormaps.Parse(cloud.Colormap), "unknown colormap falls back to jet");

            header["scale"] = 2.0;
            header["origin"] = new List<object> { 10.0, 0.0, -1.0 };
            cloud = (CloudFrame)DecodeBuilt(header, payload, "cloud/odam");
            Equal((float)(1.25f * 2.0 + 10.0), cloud.Positions[0], "f32 x with origin and scale");
            Equal((float)(0.1f * 2.0 - 1.0), cloud.Positions[2], "f32 z with origin and scale");
        }

        private static Dictionary<string, object> DecisionHeader()
        {
            var header = CommonHeader("decision");
            header["frame_id"] = "base_link";
            header["policy"] = "aqt_goal";
            header["action_names"] = new List<object> { "stop", "forward", "left", "right" };
            header["q_values"] = new List<object> { 0.5, 2.25, -1.0, 0 };
            header["chosen"] = 1;
            return header;
        }

        private static void DecodeDecision()
        {
            var decision = (DecisionFrame)DecodeBuilt(DecisionHeader(), new byte[0], "decision");
            Equal("decision", decision.Kind, "kind");
            Equal("aqt_goal", decision.Policy, "policy");
            True(decision.ActionNames.SequenceEqual(new[] { "stop", "forward", "left", "right" }), "action names");
            True(decision.QValues.SequenceEqual(new[] { 0.5, 2.25, -1.0, 0.0 }), "q values");
            Equal(1, decision.Chosen, "chosen");
            Equal("forward", decision.ChosenName, "chosen name");
            var noQ = DecisionHeader();
            noQ["q_values"] = new List<object>();
            Equal(0, ((DecisionFrame)DecodeBuilt(noQ, new byte[0], "decision")).QValues.Length, "empty q_values is allowed");
        }

        private static void DecodeIgnoresUnknownKeys()
        {
            var header = Q16Header(3);
            header["added_in_a_later_minor"] = new Dictionary<string, object> { { "x", new List<object> { 1, "a" } } };
            var cloud = (CloudFrame)DecodeBuilt(header, Q16Payload());
            Equal(3, cloud.Count, "n with an unknown key present");
            True(cloud.Header.ContainsKey("added_in_a_later_minor"), "the raw header keeps unknown keys");

            // seq written as uint64 and v as uint8: any msgpack int width is an int.
            byte[] headerBytes = MsgPackWriter.Pack(Q16Header(3));
            byte[] seqFixint = Bytes(0xa3, 's', 'e', 'q', 0x07);
            byte[] seqUint64 = Bytes(0xa3, 's', 'e', 'q', 0xcf, 0, 0, 0, 0, 0, 0, 0, 0x07);
            byte[] widened = Replace(headerBytes, seqFixint, seqUint64);
            widened = Replace(widened, Bytes(0xa1, 'v', 0x01), Bytes(0xa1, 'v', 0xcc, 0x01));
            cloud = (CloudFrame)FrameDecoder.Decode(Encoding.UTF8.GetBytes("cloud/x"), widened, Q16Payload());
            Equal(7L, cloud.Seq, "seq as uint64");
        }

        private static byte[] Replace(byte[] data, byte[] find, byte[] with)
        {
            for (int i = 0; i + find.Length <= data.Length; i++)
            {
                if (!data.Skip(i).Take(find.Length).SequenceEqual(find)) continue;
                return data.Take(i).Concat(with).Concat(data.Skip(i + find.Length)).ToArray();
            }
            throw new AssertionFailed("test setup: byte pattern not found in the header");
        }

        /// <summary>Every rejection PROTOCOL.md "Validation" lists, plus missing / mistyped keys.</summary>
        private static void ValidationCases()
        {
            byte[] topic = Encoding.UTF8.GetBytes("cloud/attention");
            byte[] payload = Q16Payload();
            Func<Action<Dictionary<string, object>>, Action> cloudWith = change => () =>
            {
                var header = Q16Header(3);
                change(header);
                DecodeBuilt(header, payload);
            };
            Func<Action<Dictionary<string, object>>, Action> decisionWith = change => () =>
            {
                var header = DecisionHeader();
                change(header);
                DecodeBuilt(header, new byte[0], "decision");
            };
            byte[] goodHeader = MsgPackWriter.Pack(Q16Header(3));

            // not exactly three frames
            Rejects(() => FrameDecoder.Decode(new List<byte[]> { topic, goodHeader }), "exactly 3 frames", "2 frames");
            Rejects(() => FrameDecoder.Decode(new List<byte[]> { topic, goodHeader, payload, payload }), "exactly 3 frames", "4 frames");
            // header that is not a msgpack map
            Rejects(() => FrameDecoder.Decode(topic, MsgPackWriter.Pack(new List<object> { 1, 2 }), payload), "header must be a msgpack map", "array header");
            Rejects(() => FrameDecoder.Decode(topic, Bytes(0x81, 0xa1), payload), "header is not a valid msgpack map", "truncated header");
            Rejects(() => FrameDecoder.Decode(topic, goodHeader.Concat(Bytes(0xc0)).ToArray(), payload), "trailing", "header with trailing bytes");
            Rejects(() => FrameDecoder.Decode(topic, new byte[0], payload), "header is not a valid msgpack map", "empty header");
            Rejects(() => FrameDecoder.Decode(Bytes(0xff, 0xfe), goodHeader, payload), "topic frame is not UTF-8", "topic not UTF-8");
            // unknown v
            Rejects(cloudWith(h => h["v"] = 2), "unknown schema version v=2", "v=2");
            Rejects(cloudWith(h => h.Remove("v")), "unknown schema version v=None", "no v");
            Rejects(cloudWith(h => h["v"] = "1"), "unknown schema version", "v as a string");
            // unknown kind / encoding
            Rejects(cloudWith(h => h["kind"] = "mesh"), "unknown kind 'mesh'", "kind mesh");
            Rejects(cloudWith(h => h.Remove("kind")), "unknown kind", "no kind");
            Rejects(cloudWith(h => h["encoding"] = "q8"), "unknown encoding 'q8'", "encoding q8");
            // n negative
            Rejects(cloudWith(h => h["n"] = -1), "n must be >= 0", "n = -1");
            // a field that runs past the end of the payload
            Rejects(cloudWith(h => ((Dictionary<string, object>)((List<object>)h["fields"])[1])["offset"] = 19),
                    "field 'attention' runs past the end of the payload", "attention offset 19 of 21 bytes");
            Rejects(cloudWith(h => h["n"] = 4), "runs past the end of the payload", "n too large for the payload");
            Rejects(cloudWith(h => ((Dictionary<string, object>)((List<object>)h["fields"])[0])["count"] = 1L << 40),
                    "runs past the end of the payload", "field count that overflows");
            // payload length that n and encoding do not explain
            Rejects(() => DecodeBuilt(Q16Header(3), payload.Concat(Bytes(0, 0)).ToArray()), "need exactly 21", "2 extra payload bytes");
            Rejects(() => DecodeBuilt(Q16Header(0), Bytes(0)), "need exactly 0", "empty cloud with a payload byte");
            // fields that contradict the encoding
            Rejects(cloudWith(h => h.Remove("fields")), "'fields' must be a list", "no fields");
            Rejects(cloudWith(h => ((List<object>)h["fields"]).RemoveAt(1)), "has no 'attention' field", "attention field missing");
            Rejects(cloudWith(h => ((Dictionary<string, object>)((List<object>)h["fields"])[1])["type"] = "int8"), "type in", "unknown field type");
            Rejects(cloudWith(h => ((Dictionary<string, object>)((List<object>)h["fields"])[0])["type"] = "uint8"), "must be int16 x 3", "wrong position type");
            Rejects(cloudWith(h => ((Dictionary<string, object>)((List<object>)h["fields"])[1])["offset"] = -3), "offset >= 0", "negative offset");
            // missing / mistyped keys
            Rejects(cloudWith(h => h.Remove("seq")), "header has no 'seq' key", "no seq");
            Rejects(cloudWith(h => h["seq"] = 1.5), "'seq' must be int", "float seq");
            Rejects(cloudWith(h => h["frame_id"] = 3), "'frame_id' must be str", "int frame_id");
            Rejects(cloudWith(h => h["scale"] = 0.0), "scale must be a finite number > 0", "scale 0");
            Rejects(cloudWith(h => h["scale"] = double.PositiveInfinity), "scale must be a finite number > 0", "scale inf");
            Rejects(cloudWith(h => h["origin"] = new List<object> { 1.0, 2.0 }), "'origin' must be a list of 3 numbers", "origin of 2");
            Rejects(cloudWith(h => h["attention_range"] = "0..1"), "'attention_range' must be a list of 2 numbers", "range as str");
            Rejects(cloudWith(h => h.Remove("colormap")), "header has no 'colormap' key", "no colormap");
            Rejects(cloudWith(h => h["pose"] = new List<object> { 1.0 }), "pose must be a map or nil", "pose as a list");
            Rejects(cloudWith(h => ((Dictionary<string, object>)h["pose"])["q"] = new List<object> { 0.0, 0.0, 1.0 }), "pose must be", "pose q of 3");
            // decision
            Rejects(decisionWith(h => h["chosen"] = 4), "chosen=4 is not an index into 4 action_names", "chosen out of range");
            Rejects(decisionWith(h => h["chosen"] = -1), "chosen=-1", "chosen negative");
            Rejects(decisionWith(h => h["q_values"] = new List<object> { 1.0 }), "q_values has 1 entries for 4 actions", "q_values too short");
            Rejects(decisionWith(h => h["q_values"] = new List<object> { 1.0, "x", 2.0, 3.0 }), "'q_values' must be a list of numbers", "q_values with a str");
            Rejects(decisionWith(h => h["action_names"] = new List<object> { "stop", 1 }), "'action_names' must be a list of str", "action name not a str");
            Rejects(decisionWith(h => h.Remove("policy")), "header has no 'policy' key", "no policy");
            Rejects(() => DecodeBuilt(DecisionHeader(), Bytes(1), "decision"), "decision payload must be empty", "decision with payload");
        }

        // ======================================================================================
        // Viewer helpers
        // ======================================================================================

        private static void ExpectColour(ColormapId map, float value, int r, int g, int b)
        {
            byte ar, ag, ab;
            Colormaps.Map(map, value, out ar, out ag, out ab);
            if (ar != r || ag != g || ab != b)
                throw new AssertionFailed(string.Format(CultureInfo.InvariantCulture,
                    "{0}({1}): expected ({2}, {3}, {4}), got ({5}, {6}, {7})",
                    Colormaps.Name(map), value, r, g, b, ar, ag, ab));
        }

        private static void ColormapValues()
        {
            // jet = xai_core.attention.jet (7 anchors, truncated)
            ExpectColour(ColormapId.Jet, 0f, 0, 0, 128);
            ExpectColour(ColormapId.Jet, 1f / 6f, 0, 0, 255);
            ExpectColour(ColormapId.Jet, 0.5f, 0, 255, 0);
            ExpectColour(ColormapId.Jet, 1f, 128, 0, 0);
            ExpectColour(ColormapId.Jet, 0.25f, 0, 127, 255);  // halfway blue -> cyan, truncated
            ExpectColour(ColormapId.Turbo, 0f, 48, 18, 59);      // matplotlib turbo(0)
            ExpectColour(ColormapId.Turbo, 1f, 122, 4, 3);       // matplotlib turbo(1)
            ExpectColour(ColormapId.Viridis, 0f, 68, 1, 84);     // matplotlib viridis(0)
            ExpectColour(ColormapId.Viridis, 1f, 253, 231, 37);  // matplotlib viridis(1)
            ExpectColour(ColormapId.Viridis, 0.5f, 33, 145, 140);
            ExpectColour(ColormapId.Gray, 0.5f, 128, 128, 128);
            ExpectColour(ColormapId.Gray, 2f, 255, 255, 255);    // clamped
            ExpectColour(ColormapId.Gray, -1f, 0, 0, 0);
            ExpectColour(ColormapId.Gray, float.NaN, 0, 0, 0);
            ExpectColour(ColormapId.Jet, float.NaN, 0, 0, 128);

            Equal(ColormapId.Viridis, Colormaps.Parse("viridis"), "parse viridis");
            Equal(ColormapId.Gray, Colormaps.Parse(" GRAY "), "parse is lenient about case and spaces");
            ColormapId parsed;
            True(!Colormaps.TryParse("plasma", out parsed) && parsed == ColormapId.Jet, "unknown id -> false, jet");
            Equal(ColormapId.Turbo, Colormaps.Next(ColormapId.Jet), "jet -> turbo");
            Equal(ColormapId.Jet, Colormaps.Next(ColormapId.Gray), "gray -> jet");
            for (int i = 0; i < Colormaps.Names.Length; i++)
                Equal(Colormaps.Names[i], Colormaps.Name((ColormapId)i), "name of id " + i);

            var rgb = new byte[9];
            Colormaps.MapAll(ColormapId.Gray, new[] { 0f, 1f, 0.2f }, 3, rgb);
            True(rgb.SequenceEqual(Bytes(0, 0, 0, 255, 255, 255, 51, 51, 51)), "MapAll packs r g b per value");
        }

        private static void ThresholdFilter()
        {
            float[] attention = { 0.1f, 0.5f, float.NaN, 0.49999f, 1f, 0.5f };
            True(Colormaps.IndicesAtOrAbove(attention, 0.5f).SequenceEqual(new[] { 1, 4, 5 }), ">= 0.5 keeps 1, 4, 5 (NaN never)");
            Equal(5, Colormaps.IndicesAtOrAbove(attention, 0f).Length, "threshold 0 keeps every finite point");
            Equal(0, Colormaps.IndicesAtOrAbove(attention, 1.01f).Length, "threshold above 1 keeps none");
            var buffer = new int[6];
            Equal(2, Colormaps.IndicesAtOrAbove(attention, 4, 0.3f, buffer), "count-limited form looks at the first 4 only");
            True(buffer[0] == 1 && buffer[1] == 3, "count-limited form writes 1, 3");
        }

        private static void CurveCertificates()
        {
            // ZeroMQ RFC 32 test vector.
            byte[] hello = Bytes(0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B);
            Equal("HelloWorld", Z85.Encode(hello), "Z85 encode of the RFC vector");
            True(Z85.Decode("HelloWorld").SequenceEqual(hello), "Z85 decode of the RFC vector");

            // A throwaway key pair made by pyzmq's zmq.auth.create_certificates for this test only.
            const string secretFile =
                "#   ****  Generated on 2026-11-26 17:29:40.595444 by pyzmq  ****\n"
                + "#   ZeroMQ CURVE **Secret** Certificate\n"
                + "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.\n\n"
                + "metadata\n"
                + "curve\n"
                + "    public-key = \"m)%ZhJbpsO>9u&(I9rRS]R3II*q83wgZk=GL(^dP\"\r\n"
                + "    secret-key = \"MQZ/l.k}U@Uj:H(7>0.YeCw(.h=AGQNf<<$34Xv^\"\n";
            var cert = CurveCertificate.Parse(secretFile, "client.key_secret");
            Equal("4744b4268c6d325be6961860893e3093f4a17872dac0cf5f340634119502935d", Hex(cert.PublicKey), "public key bytes");
            Equal("9746f9e7c1ac721baef62f21187d262b2cf6f92137534f05990a1a9509819578", Hex(cert.SecretKey), "secret key bytes");
            var publicOnly = CurveCertificate.Parse(secretFile.Replace("secret-key", "# secret-key"), "server.key");
            True(!publicOnly.HasSecretKey, "a public certificate has no secret key");
            ExpectFormatError(() => CurveCertificate.Parse("metadata\ncurve\n", "empty.key"), "no 'public-key");
            ExpectFormatError(() => CurveCertificate.Parse("public-key = \"short\"", "short.key"), "40 Z85 characters");
            ExpectFormatError(() => Z85.Decode("Hello\"orld"), "not a Z85 digit");
        }

        private static void ExpectFormatError(Action action, string fragment)
        {
            try
            {
                action();
            }
            catch (FormatException e)
            {
                True(e.Message.Contains(fragment), "message \"" + e.Message + "\" should mention \"" + fragment + "\"");
                return;
            }
            throw new AssertionFailed("expected a FormatException mentioning \"" + fragment + "\"");
        }

        private static void RosToUnityConversion()
        {
            double ux, uy, uz;
            RosToUnity.Position(1, 0, 0, out ux, out uy, out uz);
            True(ux == 0 && uy == 0 && uz == 1, "ROS forward (+x) -> Unity forward (+z)");
            RosToUnity.Position(0, 1, 0, out ux, out uy, out uz);
            True(ux == -1 && uy == 0 && uz == 0, "ROS left (+y) -> Unity left (-x)");
            RosToUnity.Position(0, 0, 1, out ux, out uy, out uz);
            True(ux == 0 && uy == 1 && uz == 0, "ROS up (+z) -> Unity up (+y)");

            var points = new float[] { 1, 2, 3, -4, 5, -6 };
            RosToUnity.Points(points, 2, points);
            True(points.SequenceEqual(new float[] { -2, 3, 1, -5, -6, -4 }), "Points converts in place");

            // C (R v) == R_unity (C v) for rotations about every axis and a generic one.
            var random = new Random(1);
            for (int trial = 0; trial < 50; trial++)
            {
                double[] q = { random.NextDouble() - 0.5, random.NextDouble() - 0.5, random.NextDouble() - 0.5, random.NextDouble() - 0.5 };
                double norm = Math.Sqrt(q.Sum(c => c * c));
                q = q.Select(c => c / norm).ToArray();
                double[] v = { random.NextDouble() * 4 - 2, random.NextDouble() * 4 - 2, random.NextDouble() * 4 - 2 };
                double[] rv = RosToUnity.Rotate(q, v);
                double[] expected = new double[3];
                RosToUnity.Position(rv[0], rv[1], rv[2], out expected[0], out expected[1], out expected[2]);
                double[] cv = new double[3];
                RosToUnity.Position(v[0], v[1], v[2], out cv[0], out cv[1], out cv[2]);
                double[] qu = new double[4];
                RosToUnity.Rotation(q[0], q[1], q[2], q[3], out qu[0], out qu[1], out qu[2], out qu[3]);
                double[] actual = RosToUnity.Rotate(qu, cv);
                for (int k = 0; k < 3; k++)
                    True(Math.Abs(expected[k] - actual[k]) < 1e-12,
                         string.Format("trial {0}: C R v != R_unity C v (axis {1}: {2} vs {3})", trial, k, expected[k], actual[k]));
            }

            // Optical axes in the body frame.
            double[] forward = RosToUnity.Rotate(RosToUnity.OpticalToBody, new[] { 0.0, 0.0, 1.0 });
            double[] right = RosToUnity.Rotate(RosToUnity.OpticalToBody, new[] { 1.0, 0.0, 0.0 });
            double[] down = RosToUnity.Rotate(RosToUnity.OpticalToBody, new[] { 0.0, 1.0, 0.0 });
            True(Same(forward, 1, 0, 0), "optical z (forward) -> body +x");
            True(Same(right, 0, -1, 0), "optical x (right) -> body -y");
            True(Same(down, 0, 0, -1), "optical y (down) -> body -z");
        }

        private static bool Same(double[] v, double x, double y, double z)
        {
            return Math.Abs(v[0] - x) < 1e-12 && Math.Abs(v[1] - y) < 1e-12 && Math.Abs(v[2] - z) < 1e-12;
        }

        // ======================================================================================
        // Golden files
        // ======================================================================================

        private static void RunGolden(string directory)
        {
            if (!Directory.Exists(directory))
            {
                _failed++;
                Console.WriteLine("FAIL golden: directory not found: " + directory);
                return;
            }
            string[] jsonFiles = Directory.GetFiles(directory, "*.json").OrderBy(p => p, StringComparer.Ordinal).ToArray();
            if (jsonFiles.Length == 0)
            {
                _failed++;
                Console.WriteLine("FAIL golden: no *.json in " + directory);
                return;
            }
            var covered = new HashSet<string>(StringComparer.Ordinal);
            foreach (string jsonPath in jsonFiles)
            {
                Dictionary<string, object> expected;
                string binName;
                try
                {
                    expected = (Dictionary<string, object>)MiniJson.Parse(File.ReadAllText(jsonPath, Encoding.UTF8));
                    object file;
                    binName = expected.TryGetValue("file", out file) && file is string
                        ? (string)file
                        : Path.GetFileNameWithoutExtension(jsonPath) + ".bin";
                }
                catch (Exception e)
                {
                    _failed++;
                    Console.WriteLine("FAIL golden {0}: cannot read the JSON: {1}", Path.GetFileName(jsonPath), e.Message);
                    continue;
                }
                covered.Add(binName);
                string binPath = Path.Combine(directory, binName);
                object reject;
                bool mustReject = (expected.TryGetValue("reject", out reject) && true.Equals(reject))
                                  || binName.StartsWith("bad_", StringComparison.Ordinal);
                if (mustReject)
                {
                    object pythonError;
                    expected.TryGetValue("python_error", out pythonError);
                    Run("golden " + binName, () => GoldenRejected(binPath, pythonError as string));
                }
                else
                {
                    Run("golden " + binName, () => GoldenDecodes(binPath, expected));
                }
            }
            // bad_*.bin without a JSON must be rejected too; other lone *.bin must at least decode.
            foreach (string binPath in Directory.GetFiles(directory, "*.bin").OrderBy(p => p, StringComparer.Ordinal))
            {
                string binName = Path.GetFileName(binPath);
                if (covered.Contains(binName)) continue;
                if (binName.StartsWith("bad_", StringComparison.Ordinal))
                    Run("golden " + binName, () => GoldenRejected(binPath, null));
                else
                    Run("golden " + binName + " (no .json: decode only)", () => FrameDecoder.DecodeFramed(File.ReadAllBytes(binPath)));
            }
        }

        private static void GoldenRejected(string binPath, string pythonError)
        {
            True(File.Exists(binPath), "golden file missing: " + binPath);
            byte[] data = File.ReadAllBytes(binPath);
            // The C# messages follow the Python codec's, so the reason the Python decoder gave
            // (recorded as python_error) must appear in ours: both reject for the same reason.
            ProtocolException e = Rejects(() => FrameDecoder.DecodeFramed(data), pythonError, Path.GetFileName(binPath));
            Console.WriteLine("     rejected: " + e.Message);
        }

        /// <summary>Decodes one golden file and compares every key its JSON holds.</summary>
        private static void GoldenDecodes(string binPath, Dictionary<string, object> expected)
        {
            True(File.Exists(binPath), "golden file missing: " + binPath);
            byte[] data = File.ReadAllBytes(binPath);
            byte[][] frames = WsFraming.Unpack(data);
            BridgeFrame frame = FrameDecoder.Decode(frames);
            var cloud = frame as CloudFrame;
            var decision = frame as DecisionFrame;
            var errors = new List<string>();
            var notCompared = new List<string>();

            foreach (var entry in expected)
            {
                string key = entry.Key;
                object want = entry.Value;
                switch (key)
                {
                    case "file":
                        break;  // names the .bin just opened
                    case "bin_sha256":
                        Check(errors, key, want, Sha256(data));
                        break;
                    case "payload_sha256":
                        Check(errors, key, want, Sha256(frames[2]));
                        break;
                    case "payload_bytes":
                        Check(errors, key, want, (long)frames[2].Length);
                        break;
                    case "topic":
                        Check(errors, key, want, frame.Topic);
                        break;
                    case "kind":
                        Check(errors, key, want, frame.Kind);
                        break;
                    case "header":
                        CompareValue(errors, "header", want, frame.Header);
                        CompareTypedHeader(errors, want as Dictionary<string, object>, frame);
                        break;
                    case "n":
                        if (cloud == null) errors.Add("n given for a non-cloud frame");
                        else Check(errors, key, want, (long)cloud.Count);
                        break;
                    case "xyz_first5":
                        if (cloud == null) { errors.Add(key + " given for a non-cloud frame"); break; }
                        ComparePrefix(errors, key, want, cloud.Count, 3, i => cloud.Positions[i]);
                        break;
                    case "attention_first5":
                        if (cloud == null) { errors.Add(key + " given for a non-cloud frame"); break; }
                        ComparePrefix(errors, key, want, cloud.Count, 1, i => cloud.Attention[i]);
                        break;
                    case "q16_position_first5":
                    case "q16_attention_first5":
                        if (cloud == null || cloud.Encoding != "q16") { errors.Add(key + " given for a non-q16 frame"); break; }
                        CompareRawQ16(errors, key, want, cloud, frames[2]);
                        break;
                    case "policy":
                    case "action_names":
                    case "q_values":
                    case "chosen":
                        if (decision == null) { errors.Add(key + " given for a non-decision frame"); break; }
                        object actual = key == "policy" ? decision.Policy
                            : key == "chosen" ? (object)(long)decision.Chosen
                            : key == "action_names" ? decision.ActionNames.Cast<object>().ToList()
                            : (object)decision.QValues.Cast<object>().ToList();
                        CompareValue(errors, key, want, actual);
                        break;
                    default:
                        notCompared.Add(key);
                        break;
                }
            }
            if (notCompared.Count > 0)
                Console.WriteLine("     note: {0}: keys not known to this test, not compared: {1}",
                                  Path.GetFileName(binPath), string.Join(", ", notCompared));
            if (errors.Count > 0) throw new AssertionFailed(string.Join("; ", errors));
        }

        /// <summary>The typed properties must agree with the header the JSON records.</summary>
        private static void CompareTypedHeader(List<string> errors, Dictionary<string, object> header, BridgeFrame frame)
        {
            if (header == null) { errors.Add("header: expected a JSON object"); return; }
            Action<string, object> typed = (key, actual) =>
            {
                object want;
                if (header.TryGetValue(key, out want)) CompareValue(errors, "typed " + key, want, actual);
            };
            typed("seq", frame.Seq);
            typed("stamp_ns", frame.StampNs);
            typed("sent_ns", frame.SentNs);
            typed("frame_id", frame.FrameId);
            typed("kind", frame.Kind);
            var cloud = frame as CloudFrame;
            if (cloud != null)
            {
                typed("n", (long)cloud.Count);
                typed("encoding", cloud.Encoding);
                typed("colormap", cloud.Colormap);
                typed("scale", cloud.Scale);
                typed("origin", cloud.Origin.Cast<object>().ToList());
                typed("attention_range", cloud.AttentionRange.Cast<object>().ToList());
                object pose;
                if (header.TryGetValue("pose", out pose))
                {
                    if (pose == null) { if (cloud.Pose != null) errors.Add("typed pose: expected null"); }
                    else if (cloud.Pose == null) errors.Add("typed pose: expected a pose, got null");
                    else
                    {
                        CompareValue(errors, "typed pose", pose, new Dictionary<string, object>
                        {
                            { "frame", cloud.Pose.Frame },
                            { "t", cloud.Pose.T.Cast<object>().ToList() },
                            { "q", cloud.Pose.Q.Cast<object>().ToList() },
                        });
                    }
                }
            }
        }

        /// <summary>The first k points (k = entries in the JSON, min(5, n)) of a per-point array.</summary>
        private static void ComparePrefix(List<string> errors, string key, object want, int n, int width, Func<int, float> value)
        {
            var rows = want as List<object>;
            if (rows == null) { errors.Add(key + ": expected a JSON array"); return; }
            if (rows.Count != Math.Min(5, n)) errors.Add(string.Format("{0}: {1} entries for n={2}", key, rows.Count, n));
            for (int i = 0; i < Math.Min(rows.Count, n); i++)
            {
                List<object> row = width == 1 ? new List<object> { rows[i] } : rows[i] as List<object>;
                if (row == null || row.Count != width) { errors.Add(string.Format("{0}[{1}]: expected {2} values", key, i, width)); continue; }
                for (int k = 0; k < width; k++)
                    CompareValue(errors, string.Format("{0}[{1}]{2}", key, i, width == 1 ? "" : "[" + k + "]"), row[k], (double)value(width * i + k));
            }
        }

        /// <summary>Raw q16 grid values / attention levels, read from the payload at the header's offsets.</summary>
        private static void CompareRawQ16(List<string> errors, string key, object want, CloudFrame cloud, byte[] payload)
        {
            var fields = (List<object>)cloud.Header["fields"];
            string fieldName = key == "q16_position_first5" ? "position" : "attention";
            var field = fields.Cast<Dictionary<string, object>>().First(f => (string)f["name"] == fieldName);
            int offset = (int)(long)field["offset"];
            if (fieldName == "position")
                ComparePrefix(errors, key, want, cloud.Count, 3,
                              i => (short)(payload[offset + 2 * i] | payload[offset + 2 * i + 1] << 8));
            else
                ComparePrefix(errors, key, want, cloud.Count, 1, i => payload[offset + i]);
        }

        private static void Check(List<string> errors, string what, object want, object actual)
        {
            CompareValue(errors, what, want, actual);
        }

        /// <summary>
        /// Deep comparison of a JSON value with a decoded value: numbers by value (floats within
        /// 1e-6 relative, ints exactly), strings, lists element by element, maps with the same key set.
        /// </summary>
        private static void CompareValue(List<string> errors, string path, object want, object actual)
        {
            if (want == null || actual == null)
            {
                if (want != actual) errors.Add(string.Format("{0}: expected {1}, got {2}", path, Show(want), Show(actual)));
                return;
            }
            if (IsNumber(want) && IsNumber(actual))
            {
                bool wantInt = want is long || want is ulong;
                bool actualInt = actual is long || actual is ulong;
                bool same = wantInt && actualInt
                    ? Convert.ToDecimal(want) == Convert.ToDecimal(actual)
                    : Close(Convert.ToDouble(want), Convert.ToDouble(actual));
                if (!same) errors.Add(string.Format("{0}: expected {1}, got {2}", path, Show(want), Show(actual)));
                return;
            }
            var wantList = want as List<object>;
            if (wantList != null)
            {
                var actualList = actual as List<object>;
                if (actualList == null) { errors.Add(path + ": expected a list, got " + Show(actual)); return; }
                if (wantList.Count != actualList.Count)
                {
                    errors.Add(string.Format("{0}: expected {1} elements, got {2}", path, wantList.Count, actualList.Count));
                    return;
                }
                for (int i = 0; i < wantList.Count; i++) CompareValue(errors, path + "[" + i + "]", wantList[i], actualList[i]);
                return;
            }
            var wantMap = want as Dictionary<string, object>;
            if (wantMap != null)
            {
                var actualMap = actual as IDictionary<string, object>;
                if (actualMap == null) { errors.Add(path + ": expected a map, got " + Show(actual)); return; }
                foreach (var entry in wantMap)
                {
                    object value;
                    if (!actualMap.TryGetValue(entry.Key, out value)) errors.Add(path + "." + entry.Key + ": missing");
                    else CompareValue(errors, path + "." + entry.Key, entry.Value, value);
                }
                foreach (string key in actualMap.Keys)
                    if (!wantMap.ContainsKey(key)) errors.Add(path + "." + key + ": not in the JSON");
                return;
            }
            if (!want.Equals(actual)) errors.Add(string.Format("{0}: expected {1}, got {2}", path, Show(want), Show(actual)));
        }

        private static bool IsNumber(object value)
        {
            return value is long || value is ulong || value is double || value is int || value is float;
        }

        private static string Show(object value)
        {
            if (value == null) return "null";
            if (value is string) return "\"" + value + "\"";
            if (value is double) return ((double)value).ToString("R", CultureInfo.InvariantCulture);
            if (value is float) return ((float)value).ToString("R", CultureInfo.InvariantCulture);
            if (value is List<object>) return "[" + string.Join(", ", ((List<object>)value).Select(Show)) + "]";
            return Convert.ToString(value, CultureInfo.InvariantCulture);
        }

        private static string Sha256(byte[] data)
        {
            using (var sha = SHA256.Create()) return Hex(sha.ComputeHash(data));
        }

        private static string Hex(byte[] data)
        {
            var sb = new StringBuilder(2 * data.Length);
            foreach (byte b in data) sb.Append(b.ToString("x2"));
            return sb.ToString();
        }
    }
}
