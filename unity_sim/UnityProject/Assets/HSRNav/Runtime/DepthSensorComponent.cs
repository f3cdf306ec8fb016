using System;
using Unity.MLAgents.Sensors;
using UnityEngine;

namespace HSRNav.Runtime
{
    /// <summary>
    /// The <c>depth</c> observation: 84 x 84 x 1 z-depth of the head camera in metres / 10
    /// (xai_sim's depth_m / max range), 0 = no return (nothing within <see cref="maxRangeM"/>).
    /// <para>
    /// How: the head camera renders once more per step with the replacement shader
    /// HSRNav/LinearDepth (eye-space z of the nearest surface into a float render target, cleared to 0),
    /// the texture is read back and written channel-first (1, H, W), row 0 = top of the image, like
    /// ML-Agents' camera sensors. Uncompressed float, so no PNG quantisation.
    /// </para>
    /// </summary>
    [DisallowMultipleComponent]
    [AddComponentMenu("HSRNav/Depth Sensor")]
    public class DepthSensorComponent : SensorComponent
    {
        [Tooltip("The head camera (the one of the \"semantic\" Camera Sensor).")]
        public Camera sourceCamera;

        public string sensorName = "depth";
        public int width = 84;
        public int height = 84;

        [Tooltip("Depths beyond this are 'no return' (0), like xai_sim's camera.max_range_m.")]
        public float maxRangeM = 10f;

        [Tooltip("Observation = metres / scale (the contract: 10).")]
        public float scaleM = 10f;

        private DepthSensor _sensor;

        public override ISensor[] CreateSensors()
        {
            Dispose();
            var shader = Shader.Find("HSRNav/LinearDepth");
            if (shader == null)
                Debug.LogError("DepthSensorComponent: shader HSRNav/LinearDepth not found (Assets/HSRNav/Resources/HSRNav/LinearDepth.shader).");
            _sensor = new DepthSensor(sourceCamera, shader, width, height, maxRangeM, scaleM, sensorName);
            return new ISensor[] { _sensor };
        }

        private void OnDestroy()
        {
            Dispose();
        }

        private void Dispose()
        {
            if (_sensor != null)
            {
                _sensor.Dispose();
                _sensor = null;
            }
        }
    }

    /// <summary>ISensor of <see cref="DepthSensorComponent"/>.</summary>
    public sealed class DepthSensor : ISensor, IDisposable
    {
        private readonly Camera _camera;
        private readonly Shader _shader;
        private readonly int _width, _height;
        private readonly float _maxRange, _scale;
        private readonly string _name;
        private readonly float[] _values;
        private Texture2D _readback;

        public DepthSensor(Camera camera, Shader shader, int width, int height, float maxRangeM, float scaleM, string name)
        {
            _camera = camera;
            _shader = shader;
            _width = width;
            _height = height;
            _maxRange = maxRangeM;
            _scale = scaleM;
            _name = name;
            _values = new float[width * height];
            _readback = new Texture2D(width, height, TextureFormat.RGBAFloat, false, true);
        }

        public ObservationSpec GetObservationSpec()
        {
            return ObservationSpec.Visual(1, _height, _width);  // ML-Agents 3: channels, height, width
        }

        public int Write(ObservationWriter writer)
        {
            for (int h = 0; h < _height; h++)
                for (int w = 0; w < _width; w++)
                    writer[0, h, w] = _values[h * _width + w];
            return _width * _height;
        }

        public byte[] GetCompressedObservation()
        {
            return null;
        }

        /// <summary>Renders the depth image of the current frame.</summary>
        public void Update()
        {
            if (_camera == null || _shader == null) return;
            var rt = RenderTexture.GetTemporary(_width, _height, 24, RenderTextureFormat.ARGBFloat, RenderTextureReadWrite.Linear);
            var previousActive = RenderTexture.active;
            var previousTarget = _camera.targetTexture;
            var previousClear = _camera.clearFlags;
            var previousBackground = _camera.backgroundColor;
            var previousRect = _camera.rect;
            try
            {
                _camera.targetTexture = rt;
                _camera.rect = new Rect(0f, 0f, 1f, 1f);
                _camera.clearFlags = CameraClearFlags.SolidColor;
                _camera.backgroundColor = new Color(0f, 0f, 0f, 0f);  // no hit = depth 0
                _camera.RenderWithShader(_shader, "");
                RenderTexture.active = rt;
                _readback.ReadPixels(new Rect(0, 0, _width, _height), 0, 0, false);
                var raw = _readback.GetRawTextureData<float>();  // RGBA per pixel, row 0 = bottom
                for (int h = 0; h < _height; h++)
                {
                    int src = (_height - 1 - h) * _width;
                    for (int w = 0; w < _width; w++)
                    {
                        float z = raw[4 * (src + w)];
                        _values[h * _width + w] = z > 0f && z <= _maxRange ? z / _scale : 0f;
                    }
                }
            }
            finally
            {
                _camera.targetTexture = previousTarget;
                _camera.rect = previousRect;
                _camera.clearFlags = previousClear;
                _camera.backgroundColor = previousBackground;
                RenderTexture.active = previousActive;
                RenderTexture.ReleaseTemporary(rt);
            }
        }

        public void Reset()
        {
        }

        public CompressionSpec GetCompressionSpec()
        {
            return CompressionSpec.Default();
        }

        public string GetName()
        {
            return _name;
        }

        public void Dispose()
        {
            if (_readback != null)
            {
                UnityEngine.Object.Destroy(_readback);
                _readback = null;
            }
        }
    }
}
