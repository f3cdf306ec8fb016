// Hand-menu / floating panel: attention threshold slider, colormap button, calibration buttons,
// and the decision the cloud explains (chosen action + Q-values). MRTK3 UX components.
#if XAI_MRTK3
using MixedReality.Toolkit;
using MixedReality.Toolkit.UX;
#endif
using System.Text;
using TMPro;
using UnityEngine;
using XaiBridge.Protocol;

namespace XaiBridge.Runtime
{
    /// <summary>
    /// Wires MRTK3 controls to the renderers. Build the panel from MRTK3 prefabs (e.g. a Canvas
    /// slider and PressableButtons from org.mixedrealitytoolkit.uxcomponents) and drag them here.
    /// Without MRTK3 (XAI_MRTK3 undefined) the public methods can still be wired by hand.
    /// </summary>
    public sealed class ControlPanel : MonoBehaviour
    {
        [Header("What the panel controls")]
        [SerializeField] private BridgeSubscriber subscriber;
        [SerializeField] private PointCloudRenderer[] renderers = new PointCloudRenderer[0];
        [SerializeField] private RobotAnchor anchor;

#if XAI_MRTK3
        [Header("MRTK3 controls")]
        [Tooltip("Attention threshold, 0..1 (set the slider's Min/Max Value to 0 and 1)")]
        [SerializeField] private Slider thresholdSlider;

        [Tooltip("Cycles jet -> turbo -> viridis -> gray")]
        [SerializeField] private StatefulInteractable colormapButton;

        [Tooltip("Starts calibration (shows the placement handle / waits for the QR code)")]
        [SerializeField] private StatefulInteractable calibrateButton;

        [Tooltip("Manual calibration: confirms the handle's pose")]
        [SerializeField] private StatefulInteractable confirmButton;
#endif

        [Header("Labels (TextMeshPro)")]
        [SerializeField] private TMP_Text thresholdLabel;
        [SerializeField] private TMP_Text colormapLabel;
        [Tooltip("Chosen action and the Q-value of every action")]
        [SerializeField] private TMP_Text decisionLabel;
        [Tooltip("Connection state, rates, drops, last error")]
        [SerializeField] private TMP_Text statusLabel;

        [SerializeField] private float statusRefreshSeconds = 0.5f;

        private readonly StringBuilder _text = new StringBuilder(256);
        private float _nextStatus;

        private void OnEnable()
        {
            if (subscriber != null) subscriber.DecisionReceived += ShowDecision;
#if XAI_MRTK3
            if (thresholdSlider != null) thresholdSlider.OnValueUpdated.AddListener(OnSliderUpdated);
            if (colormapButton != null) colormapButton.OnClicked.AddListener(CycleColormap);
            if (calibrateButton != null) calibrateButton.OnClicked.AddListener(BeginCalibration);
            if (confirmButton != null) confirmButton.OnClicked.AddListener(ConfirmCalibration);
#endif
        }

        private void OnDisable()
        {
            if (subscriber != null) subscriber.DecisionReceived -= ShowDecision;
#if XAI_MRTK3
            if (thresholdSlider != null) thresholdSlider.OnValueUpdated.RemoveListener(OnSliderUpdated);
            if (colormapButton != null) colormapButton.OnClicked.RemoveListener(CycleColormap);
            if (calibrateButton != null) calibrateButton.OnClicked.RemoveListener(BeginCalibration);
            if (confirmButton != null) confirmButton.OnClicked.RemoveListener(ConfirmCalibration);
#endif
        }

        private void Start()
        {
            if (renderers.Length > 0)
            {
                float threshold = renderers[0].Threshold;
#if XAI_MRTK3
                if (thresholdSlider != null) thresholdSlider.Value = Mathf.Clamp(threshold, thresholdSlider.MinValue, thresholdSlider.MaxValue);
#endif
                SetThreshold(threshold);
                UpdateColormapLabel(renderers[0].Colormap);
            }
            if (decisionLabel != null) decisionLabel.text = "waiting for a decision...";
        }

#if XAI_MRTK3
        private void OnSliderUpdated(SliderEventData data)
        {
            SetThreshold(data.NewValue);
        }
#endif

        /// <summary>Hides points whose attention is below <paramref name="threshold"/> in every renderer.</summary>
        public void SetThreshold(float threshold)
        {
            foreach (PointCloudRenderer r in renderers)
                if (r != null) r.Threshold = threshold;
            if (thresholdLabel != null) thresholdLabel.text = string.Format("attention >= {0:0.00}", threshold);
        }

        /// <summary>jet -> turbo -> viridis -> gray -> jet, for every renderer.</summary>
        public void CycleColormap()
        {
            if (renderers.Length == 0 || renderers[0] == null) return;
            ColormapId next = Colormaps.Next(renderers[0].Colormap);
            foreach (PointCloudRenderer r in renderers)
                if (r != null) r.Colormap = next;
            UpdateColormapLabel(next);
        }

        public void BeginCalibration()
        {
            if (anchor != null) anchor.BeginPlacement();
        }

        public void ConfirmCalibration()
        {
            if (anchor != null) anchor.ConfirmPlacement();
        }

        private void UpdateColormapLabel(ColormapId colormap)
        {
            if (colormapLabel != null) colormapLabel.text = "colormap: " + Colormaps.Name(colormap);
        }

        /// <summary>Chosen action in bold, then one line per action with its Q-value (chosen one marked).</summary>
        private void ShowDecision(DecisionFrame decision)
        {
            if (decisionLabel == null) return;
            _text.Length = 0;
            _text.Append("<b>").Append(decision.ChosenName).Append("</b>");
            _text.Append("  <size=70%>").Append(decision.Policy).Append("  seq ").Append(decision.Seq).Append("</size>\n");
            for (int i = 0; i < decision.ActionNames.Length; i++)
            {
                bool chosen = i == decision.Chosen;
                _text.Append(chosen ? "<color=#ffd54f>> " : "   ");
                _text.Append(decision.ActionNames[i]);
                if (decision.QValues.Length == decision.ActionNames.Length)
                    _text.Append("  ").Append(decision.QValues[i].ToString("+0.00;-0.00"));
                if (chosen) _text.Append("</color>");
                _text.Append('\n');
            }
            decisionLabel.text = _text.ToString();
        }

        private void Update()
        {
            if (statusLabel == null || subscriber == null || Time.unscaledTime < _nextStatus) return;
            _nextStatus = Time.unscaledTime + statusRefreshSeconds;
            BridgeStats s = subscriber.Stats;
            _text.Length = 0;
            _text.Append(s.State).Append("  ").Append(s.RateHz.ToString("0.0")).Append(" msg/s");
            if (s.State == BridgeState.Receiving)
                _text.Append("  age ").Append(s.LastAgeMs.ToString("0")).Append(" ms");
            _text.Append("\nclouds ").Append(s.CloudsDecoded).Append("  dropped by server ").Append(s.SeqGaps)
                 .Append("  superseded ").Append(s.Superseded).Append("  rejected ").Append(s.Rejected);
            if (renderers.Length > 0 && renderers[0] != null && renderers[0].Current != null)
                _text.Append("\npoints ").Append(renderers[0].VisibleCount).Append(" / ").Append(renderers[0].Current.Count);
            if (anchor != null && !anchor.IsCalibrated) _text.Append("\n<color=#ff8a65>not calibrated</color>");
            if (!string.IsNullOrEmpty(s.LastError)) _text.Append("\n<size=70%>").Append(s.LastError).Append("</size>");
            statusLabel.text = _text.ToString();
        }
    }
}
