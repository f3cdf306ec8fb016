// Point-cloud shader for the xai_bridge clouds (PointCloudRenderer): each vertex of a
// MeshTopology.Points mesh becomes a camera-facing square (or disc) of _PointSize metres, coloured
// by its vertex colour (the attention colormap).
//
// HoloLens 2 renders both eyes in one pass (single-pass instanced stereo): every draw runs twice as
// two instances, and the instance id selects the eye. The UNITY_VERTEX_INPUT_INSTANCE_ID /
// UNITY_VERTEX_OUTPUT_STEREO macros carry that id from the vertex stage through the geometry
// stage (which must set it up again to pick the eye's matrices) to the render-target slice.
// Built-in render pipeline (the MRTK3 default for HoloLens).
Shader "XaiBridge/AttentionPoints"
{
    Properties
    {
        _PointSize ("Point size (m)", Range(0.001, 0.1)) = 0.012
        [Toggle(_ROUND_POINTS)] _RoundPoints ("Round points", Float) = 1
    }

    // Geometry-shader path: D3D11 on HoloLens 2 and Windows.
    SubShader
    {
        Tags { "RenderType" = "Opaque" "Queue" = "Geometry" "IgnoreProjector" = "True" }
        LOD 100

        Pass
        {
            Cull Off
            ZWrite On
            ZTest LEqual

            CGPROGRAM
            #pragma target 4.0
            #pragma require geometry
            #pragma vertex vert
            #pragma geometry geom
            #pragma fragment frag
            #pragma multi_compile_instancing
            #pragma shader_feature_local _ROUND_POINTS
            #include "UnityCG.cginc"

            float _PointSize;

            // Quad corners in triangle-strip order.
            static const float2 corners[4] = { float2(-1, -1), float2(1, -1), float2(-1, 1), float2(1, 1) };

            struct appdata
            {
                float4 vertex : POSITION;
                fixed4 color : COLOR;
                UNITY_VERTEX_INPUT_INSTANCE_ID
            };

            struct v2g
            {
                float4 viewPos : TEXCOORD0;  // view space of this instance's eye
                fixed4 color : COLOR;
                UNITY_VERTEX_INPUT_INSTANCE_ID
                UNITY_VERTEX_OUTPUT_STEREO
            };

            struct g2f
            {
                float4 pos : SV_POSITION;
                fixed4 color : COLOR;
                float2 corner : TEXCOORD0;  // -1..1 across the quad, for round points
                UNITY_VERTEX_OUTPUT_STEREO
            };

            v2g vert(appdata v)
            {
                v2g o;
                UNITY_SETUP_INSTANCE_ID(v);                // selects the eye (unity_StereoEyeIndex)
                UNITY_INITIALIZE_OUTPUT(v2g, o);
                UNITY_TRANSFER_INSTANCE_ID(v, o);          // the geometry stage needs the eye too
                UNITY_INITIALIZE_VERTEX_OUTPUT_STEREO(o);  // render-target slice of that eye
                o.viewPos = float4(UnityObjectToViewPos(v.vertex.xyz), 1.0);
                o.color = v.color;
            #if !defined(UNITY_COLORSPACE_GAMMA)
                // Vertex colours are sRGB bytes; a linear-space project must linearise them.
                o.color.rgb = GammaToLinearSpace(o.color.rgb);
            #endif
                return o;
            }

            [maxvertexcount(4)]
            void geom(point v2g input[1], inout TriangleStream<g2f> stream)
            {
                UNITY_SETUP_INSTANCE_ID(input[0]);  // so UNITY_MATRIX_P is this eye's projection
                g2f o;
                UNITY_INITIALIZE_OUTPUT(g2f, o);
                UNITY_TRANSFER_VERTEX_OUTPUT_STEREO(input[0], o);
                o.color = input[0].color;

                // A square in view space, so it always faces the eye.
                float halfSize = 0.5 * _PointSize;
                [unroll]
                for (int i = 0; i < 4; i++)
                {
                    float4 p = input[0].viewPos;
                    p.xy += corners[i] * halfSize;
                    o.pos = mul(UNITY_MATRIX_P, p);
                    o.corner = corners[i];
                    stream.Append(o);
                }
            }

            fixed4 frag(g2f i) : SV_Target
            {
                UNITY_SETUP_STEREO_EYE_INDEX_POST_VERTEX(i);
            #ifdef _ROUND_POINTS
                clip(1.0 - dot(i.corner, i.corner));  // discs instead of squares
            #endif
                return i.color;
            }
            ENDCG
        }
    }

    // Fallback without geometry shaders (e.g. the editor on Metal): one-pixel points.
    SubShader
    {
        Tags { "RenderType" = "Opaque" "Queue" = "Geometry" }
        LOD 100

        Pass
        {
            CGPROGRAM
            #pragma vertex vert
            #pragma fragment frag
            #pragma multi_compile_instancing
            #include "UnityCG.cginc"

            struct appdata
            {
                float4 vertex : POSITION;
                fixed4 color : COLOR;
                UNITY_VERTEX_INPUT_INSTANCE_ID
            };

            struct v2f
            {
                float4 pos : SV_POSITION;
                fixed4 color : COLOR;
                float size : PSIZE;
                UNITY_VERTEX_OUTPUT_STEREO
            };

            v2f vert(appdata v)
            {
                v2f o;
                UNITY_SETUP_INSTANCE_ID(v);
                UNITY_INITIALIZE_OUTPUT(v2f, o);
                UNITY_INITIALIZE_VERTEX_OUTPUT_STEREO(o);
                o.pos = UnityObjectToClipPos(v.vertex);
                o.color = v.color;
            #if !defined(UNITY_COLORSPACE_GAMMA)
                o.color.rgb = GammaToLinearSpace(o.color.rgb);
            #endif
                o.size = 2.0;
                return o;
            }

            fixed4 frag(v2f i) : SV_Target
            {
                UNITY_SETUP_STEREO_EYE_INDEX_POST_VERTEX(i);
                return i.color;
            }
            ENDCG
        }
    }
}
