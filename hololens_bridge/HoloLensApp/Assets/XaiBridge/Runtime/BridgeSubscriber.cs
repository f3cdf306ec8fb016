// ZeroMQ SUB client of the xai_bridge publisher (hololens_bridge/PROTOCOL.md), for Unity 2022.3
// with NetMQ 4 (+ AsyncIO, NaCl.Net) imported as DLLs by NuGetForUnity.
//
// Threading: one background thread owns the socket, receives and decodes (decoding a 300k-point
// cloud must not cost the render thread a frame). It hands the newest decoded frame per topic to
// the main thread through a one-slot mailbox: a newer frame replaces an unread one (latest frame
// wins, as on the server), so a slow frame rate never builds a backlog. Update() raises the events
// on the main thread, where Unity objects may be touched.
using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using NetMQ;
using NetMQ.Sockets;
using UnityEngine;
using XaiBridge.Protocol;

namespace XaiBridge.Runtime
{
    /// <summary>Connection state shown by the control panel.</summary>
    public enum BridgeState
    {
        Stopped,
        Connecting,
        Receiving,
        /// <summary>No message for <see cref="BridgeSubscriber.SilenceBeforeReconnect"/>; recreating the socket.</summary>
        Reconnecting,
        /// <summary>Keys missing or unreadable: see <see cref="BridgeStats.LastError"/>; retried every few seconds.</summary>
        ConfigError,
    }

    /// <summary>A snapshot of the subscriber's counters (copied under a lock, safe to keep).</summary>
    public struct BridgeStats
    {
        public BridgeState State;
        /// <summary>Multipart messages received from the socket.</summary>
        public long Received;
        public long CloudsDecoded;
        public long DecisionsDecoded;
        /// <summary>Messages dropped because they broke PROTOCOL.md (the reason is in <see cref="LastError"/>).</summary>
        public long Rejected;
        /// <summary>Frames the server dropped for this client (gaps in <c>seq</c>; the server keeps only the newest).</summary>
        public long SeqGaps;
        /// <summary>Decoded frames replaced by a newer one before the main thread showed them.</summary>
        public long Superseded;
        public long Reconnects;
        /// <summary>Messages per second over the last second (main-thread measurement).</summary>
        public float RateHz;
        /// <summary>Headset clock minus <c>sent_ns</c> of the last message, ms (meaningful when both clocks use NTP).</summary>
        public double LastAgeMs;
        /// <summary>Headset clock minus <c>stamp_ns</c> (the sensor time) of the last message, ms.</summary>
        public double LastSensorAgeMs;
        public string LastError;
    }

    /// <summary>
    /// Subscribes to the bridge's <c>cloud/*</c> and <c>decision</c> topics over CURVE-encrypted
    /// ZeroMQ and raises <see cref="CloudReceived"/> / <see cref="DecisionReceived"/> on the main thread.
    /// </summary>
    [DisallowMultipleComponent]
    public sealed class BridgeSubscriber : MonoBehaviour
    {
        [Header("Bridge endpoint (the robot's hololens_bridge_node)")]
        [Tooltip("ZeroMQ endpoint of the publisher, e.g. tcp://192.168.1.20:5557")]
        [SerializeField] private string endpoint = "tcp://192.168.1.20:5557";

        [Tooltip("Topic prefixes to subscribe to (PROTOCOL.md: cloud/<name>, decision)")]
        [SerializeField] private string[] topics = { "cloud/", "decision" };

        [Header("CURVE security (certificate files made by xai-bridge-keygen)")]
        [Tooltip("Off only for a plaintext server on the same machine (editor tests); the robot refuses plaintext from the network")]
        [SerializeField] private bool useCurve = true;

        [Tooltip("Folder holding the certificate files; empty = Application.persistentDataPath " +
                 "(on HoloLens: the app's LocalState folder)")]
        [SerializeField] private string certificateFolder = "";

        [Tooltip("This headset's secret certificate (public-key + secret-key lines)")]
        [SerializeField] private string clientSecretCertificate = "hololens.key_secret";

        [Tooltip("The bridge server's public certificate (public-key line)")]
        [SerializeField] private string serverPublicCertificate = "server.key";

        [Header("Connection")]
        [Tooltip("Seconds without any message before the socket is closed and opened again")]
        [SerializeField] private float silenceBeforeReconnect = 5f;

        [Tooltip("Messages NetMQ may queue for this client; small, as the newest frame is all we show")]
        [SerializeField] private int receiveHighWatermark = 4;

        [SerializeField] private bool connectOnEnable = true;

        /// <summary>A decoded cloud, on the main thread: the newest of its topic since the last Update.</summary>
        public event Action<CloudFrame> CloudReceived;

        /// <summary>A decoded decision, on the main thread.</summary>
        public event Action<DecisionFrame> DecisionReceived;

        public string Endpoint { get { return endpoint; } set { endpoint = value; } }

        public float SilenceBeforeReconnect { get { return silenceBeforeReconnect; } }

        /// <summary>The newest decision received (main thread), or null.</summary>
        public DecisionFrame LatestDecision { get; private set; }

        private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
        private static readonly DateTime UnixEpoch = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        private static int _liveInstances;  // NetMQConfig.Cleanup runs when the last one goes

        // Shared between the network thread and the main thread; guarded by _lock.
        private readonly object _lock = new object();
        private readonly Dictionary<string, CloudFrame> _pendingClouds = new Dictionary<string, CloudFrame>();
        private readonly Dictionary<string, long> _lastSeq = new Dictionary<string, long>();
        private DecisionFrame _pendingDecision;
        private BridgeStats _stats;

        private readonly List<CloudFrame> _cloudsToRaise = new List<CloudFrame>();
        private Thread _thread;
        private volatile bool _running;
        private string _certificateRoot;
        private long _receivedAtLastRate;
        private float _rateWindowStart;

        /// <summary>Counters and state, for the panel (copy; cheap).</summary>
        public BridgeStats Stats
        {
            get { lock (_lock) return _stats; }
        }

        private void Awake()
        {
            Interlocked.Increment(ref _liveInstances);
            // NetMQ's default async I/O needs this under Unity / IL2CPP (known NetMQ + Unity issue).
            AsyncIO.ForceDotNet.Force();
        }

        private void OnEnable()
        {
            if (connectOnEnable) Connect();
        }

        private void OnDisable()
        {
            Disconnect();
        }

        private void OnDestroy()
        {
            Disconnect();
            // Without this the editor hangs when play mode stops (NetMQ keeps its I/O threads).
            if (Interlocked.Decrement(ref _liveInstances) == 0) NetMQConfig.Cleanup(false);
        }

        /// <summary>Starts the network thread (again) with the current settings.</summary>
        public void Connect()
        {
            Disconnect();
            // Unity APIs are main-thread only: resolve the folder here.
            _certificateRoot = string.IsNullOrEmpty(certificateFolder) ? Application.persistentDataPath : certificateFolder;
            _running = true;
            _rateWindowStart = Time.unscaledTime;
            _thread = new Thread(NetworkLoop) { IsBackground = true, Name = "xai_bridge subscriber" };
            _thread.Start();
        }

        /// <summary>Stops the network thread and closes the socket.</summary>
        public void Disconnect()
        {
            _running = false;
            if (_thread != null)
            {
                // The loop polls every 100 ms, so it notices _running quickly.
                if (!_thread.Join(2000)) Debug.LogWarning("[xai_bridge] network thread did not stop within 2 s");
                _thread = null;
            }
            lock (_lock) _stats.State = BridgeState.Stopped;
        }

        private void Update()
        {
            DecisionFrame decision;
            lock (_lock)
            {
                _cloudsToRaise.Clear();
                _cloudsToRaise.AddRange(_pendingClouds.Values);
                _pendingClouds.Clear();
                decision = _pendingDecision;
                _pendingDecision = null;

                // Message rate over a one-second window.
                float now = Time.unscaledTime;
                if (now - _rateWindowStart >= 1f)
                {
                    _stats.RateHz = (_stats.Received - _receivedAtLastRate) / (now - _rateWindowStart);
                    _receivedAtLastRate = _stats.Received;
                    _rateWindowStart = now;
                }
            }
            // Raise outside the lock: handlers may be slow (mesh upload) and must not block the network thread.
            if (decision != null)
            {
                LatestDecision = decision;
                Raise(DecisionReceived, decision);
            }
            foreach (CloudFrame cloud in _cloudsToRaise) Raise(CloudReceived, cloud);
            _cloudsToRaise.Clear();
        }

        private static void Raise<T>(Action<T> handler, T frame)
        {
            if (handler == null) return;
            try
            {
                handler(frame);
            }
            catch (Exception e)
            {
                // One broken listener must not stop the stream for the others.
                Debug.LogException(e);
            }
        }

        // =====================================================================================
        // Network thread
        // =====================================================================================

        private void NetworkLoop()
        {
            while (_running)
            {
                try
                {
                    SetState(BridgeState.Connecting, null);
                    using (var socket = CreateSocket())
                    {
                        ReceiveUntilSilent(socket);
                    }
                }
                catch (Exception e) when (e is FileNotFoundException || e is FormatException || e is DirectoryNotFoundException)
                {
                    // Missing / malformed key files: say so and retry, the user may copy them in now.
                    SetState(BridgeState.ConfigError, e.Message);
                    Debug.LogError("[xai_bridge] " + e.Message);
                    SleepWhileRunning(5000);
                }
                catch (TerminatingException)
                {
                    return;  // NetMQConfig.Cleanup ran: the app is closing
                }
                catch (Exception e)
                {
                    SetState(BridgeState.Reconnecting, e.GetType().Name + ": " + e.Message);
                    Debug.LogWarning("[xai_bridge] socket error, reconnecting: " + e);
                    SleepWhileRunning(1000);
                }
            }
        }

        private SubscriberSocket CreateSocket()
        {
            var socket = new SubscriberSocket();
            try
            {
                socket.Options.ReceiveHighWatermark = Math.Max(1, receiveHighWatermark);
                socket.Options.Linger = TimeSpan.Zero;  // closing must never wait for the network
                socket.Options.ReconnectInterval = TimeSpan.FromMilliseconds(500);
                if (useCurve)
                {
                    CurveCertificate client = CurveCertificate.Load(Path.Combine(_certificateRoot, clientSecretCertificate));
                    if (!client.HasSecretKey)
                        throw new FormatException(string.Format(
                            "{0} has no secret-key line: copy the client's .key_secret file, not its public .key",
                            clientSecretCertificate));
                    CurveCertificate server = CurveCertificate.Load(Path.Combine(_certificateRoot, serverPublicCertificate));
                    // The server's public key makes this socket a CURVE client (ZMQ_CURVE_SERVERKEY).
                    socket.Options.CurveServerKey = server.PublicKey;
                    socket.Options.CurveCertificate = new NetMQCertificate(client.SecretKey, client.PublicKey);
                }
                foreach (string topic in topics) socket.Subscribe(topic);
                socket.Connect(endpoint);
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        /// <summary>Receives until stopped or until the stream has been silent too long.</summary>
        private void ReceiveUntilSilent(SubscriberSocket socket)
        {
            var frames = new List<byte[]>(3);
            DateTime lastMessage = DateTime.UtcNow;
            while (_running)
            {
                if (socket.TryReceiveMultipartBytes(PollInterval, ref frames, 3))
                {
                    lastMessage = DateTime.UtcNow;
                    Handle(frames);
                }
                else if ((DateTime.UtcNow - lastMessage).TotalSeconds > silenceBeforeReconnect)
                {
                    // ZeroMQ reconnects TCP by itself; a silent stream usually means a CURVE handshake
                    // that failed (wrong keys, server restarted with new keys) or a half-open link.
                    // A fresh socket redoes the handshake.
                    lock (_lock)
                    {
                        _stats.Reconnects++;
                        _stats.State = BridgeState.Reconnecting;
                    }
                    return;
                }
            }
        }

        private void Handle(List<byte[]> frames)
        {
            BridgeFrame frame;
            try
            {
                frame = FrameDecoder.Decode(frames);
            }
            catch (ProtocolException e)
            {
                // Rule of the house: bad input is logged with the reason, counted and dropped.
                lock (_lock)
                {
                    _stats.Received++;
                    _stats.Rejected++;
                    _stats.LastError = "rejected message: " + e.Message;
                }
                Debug.LogWarning("[xai_bridge] rejected message: " + e.Message);
                return;
            }

            long nowNs = (DateTime.UtcNow - UnixEpoch).Ticks * 100;
            lock (_lock)
            {
                _stats.Received++;
                _stats.State = BridgeState.Receiving;
                _stats.LastAgeMs = (nowNs - frame.SentNs) / 1e6;
                _stats.LastSensorAgeMs = (nowNs - frame.StampNs) / 1e6;
                CountSeqGap(frame);

                var cloud = frame as CloudFrame;
                if (cloud != null)
                {
                    _stats.CloudsDecoded++;
                    if (_pendingClouds.ContainsKey(cloud.Topic)) _stats.Superseded++;
                    _pendingClouds[cloud.Topic] = cloud;  // latest frame wins
                    return;
                }
                _stats.DecisionsDecoded++;
                if (_pendingDecision != null) _stats.Superseded++;
                _pendingDecision = (DecisionFrame)frame;
            }
        }

        /// <summary>Counts frames the server skipped for this client (caller holds the lock).</summary>
        private void CountSeqGap(BridgeFrame frame)
        {
            long last;
            if (_lastSeq.TryGetValue(frame.Topic, out last) && frame.Seq > last + 1)
                _stats.SeqGaps += frame.Seq - last - 1;
            // A seq at or below the last one means the server restarted: start counting afresh.
            _lastSeq[frame.Topic] = frame.Seq;
        }

        private void SetState(BridgeState state, string error)
        {
            lock (_lock)
            {
                _stats.State = state;
                if (error != null) _stats.LastError = error;
            }
        }

        private void SleepWhileRunning(int milliseconds)
        {
            for (int waited = 0; waited < milliseconds && _running; waited += 100) Thread.Sleep(100);
        }
    }
}
