using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s.Models;

namespace Quorum.Tests.ApiServer;

/// <summary>
/// The shape of a built-in kind, read from the client's generated model (which mirrors the Go structs):
/// decoding a request into Go structs drops fields the struct lacks (the server answers with a
/// <c>Warning: unknown field "spec.foo"</c> header), writes quantities in canonical form ("1000m" → "1")
/// and timestamps at second precision (metav1.Time) or microseconds (metav1.MicroTime), and drops nulls.
/// A JSON value of the wrong shape (a string where an object belongs) is a 400, as the Go decoder fails.
/// </summary>
internal sealed class ModelSchema
{
    private enum Shape { Any, Scalar, Object, Array, Map, Quantity, Time, MicroTime }

    private static readonly ConcurrentDictionary<Type, ModelSchema> Cache = new();

    /// <summary>metav1.MicroTime fields in the kinds served here (the C# model types them all as DateTime).</summary>
    private static readonly HashSet<string> MicroTimeFields = new(StringComparer.Ordinal) { "eventTime", "lastObservedTime", "acquireTime", "renewTime" };

    private Shape _shape;
    private Dictionary<string, ModelSchema>? _properties;
    private ModelSchema? _items;

    private ModelSchema()
    {
    }

    public static ModelSchema For(Type type)
    {
        if (Cache.TryGetValue(type, out var cached)) return cached;
        var schema = new ModelSchema();
        // Register before filling so recursive types (JSONSchemaProps) terminate.
        if (!Cache.TryAdd(type, schema)) return Cache[type];
        schema.Fill(type);
        return schema;
    }

    private void Fill(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(ResourceQuantity)) { _shape = Shape.Quantity; return; }
        if (type == typeof(DateTime) || type == typeof(DateTimeOffset)) { _shape = Shape.Time; return; }
        if (type == typeof(object) || type.Name == "JsonElement") { _shape = Shape.Any; return; }
        if (type.IsPrimitive || type == typeof(string) || type == typeof(decimal) || type == typeof(byte[]) || type == typeof(IntOrString) || type.IsEnum)
        {
            _shape = Shape.Scalar;
            return;
        }
        var dictionary = type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>));
        if (dictionary is not null)
        {
            _shape = Shape.Map;
            _items = For(dictionary.GetGenericArguments()[1]);
            return;
        }
        var enumerable = type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        if (enumerable is not null)
        {
            _shape = Shape.Array;
            _items = For(enumerable.GetGenericArguments()[0]);
            return;
        }
        _shape = Shape.Object;
        _properties = new Dictionary<string, ModelSchema>(StringComparer.Ordinal);
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var name = p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name;
            if (name is null) continue;
            _properties[name] = MicroTimeFields.Contains(name) && (Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType) == typeof(DateTime)
                ? MicroTime
                : For(p.PropertyType);
        }
    }

    private static readonly ModelSchema MicroTime = new() { _shape = Shape.MicroTime };

    public void Normalize(JsonObject obj, ResourceKind kind, List<string> warnings) => NormalizeObject(obj, "", kind, warnings);

    private void NormalizeObject(JsonObject obj, string path, ResourceKind kind, List<string> warnings)
    {
        foreach (var (key, value) in obj.ToList())
        {
            var childPath = path.Length == 0 ? key : $"{path}.{key}";
            if (!_properties!.TryGetValue(key, out var schema))
            {
                obj.Remove(key);
                warnings.Add($"unknown field \"{childPath}\"");
                continue;
            }
            if (value is null)
            {
                // A JSON null decodes to the zero value, which omitempty leaves out.
                obj.Remove(key);
                continue;
            }
            var replaced = schema.NormalizeValue(value, childPath, kind, warnings);
            if (!ReferenceEquals(replaced, value)) obj[key] = replaced;
        }
    }

    private JsonNode NormalizeValue(JsonNode value, string path, ResourceKind kind, List<string> warnings)
    {
        switch (_shape)
        {
            case Shape.Any:
                return value;
            case Shape.Object:
                if (value is not JsonObject o) throw Mismatch(kind, value, path, "object");
                NormalizeObject(o, path, kind, warnings);
                return o;
            case Shape.Map:
                if (value is not JsonObject m) throw Mismatch(kind, value, path, "map");
                foreach (var (k, v) in m.ToList())
                {
                    if (v is null) continue;
                    var replaced = _items!.NormalizeValue(v, $"{path}.{k}", kind, warnings);
                    if (!ReferenceEquals(replaced, v)) m[k] = replaced;
                }
                return m;
            case Shape.Array:
                if (value is not JsonArray a) throw Mismatch(kind, value, path, "array");
                for (var i = 0; i < a.Count; i++)
                {
                    if (a[i] is not { } item) continue;
                    var replaced = _items!.NormalizeValue(item, $"{path}[{i}]", kind, warnings);
                    if (!ReferenceEquals(replaced, item)) a[i] = replaced;
                }
                return a;
            case Shape.Quantity:
                return Quantity(value, path, kind);
            case Shape.Time or Shape.MicroTime:
                {
                    var text = JsonObjects.Str(value) ?? throw Mismatch(kind, value, path, "string");
                    if (!JsonObjects.TryParseTime(text, out var t))
                        throw StatusResponses.BadRequest($"{kind.Kind} in version \"{kind.Version}\" cannot be handled as a {kind.Kind}: parsing time \"{text}\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"{text}\"");
                    return JsonValue.Create(_shape == Shape.Time ? JsonObjects.Time(t) : JsonObjects.MicroTime(t));
                }
            default:
                if (value is not JsonValue) throw Mismatch(kind, value, path, "scalar");
                return value;
        }
    }

    private static JsonValue Quantity(JsonNode value, string path, ResourceKind kind)
    {
        var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value is JsonValue n ? n.ToJsonString() : null;
        if (text is null) throw Mismatch(kind, value, path, "quantity");
        try
        {
            return JsonValue.Create(new ResourceQuantity(text).ToString());
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            throw StatusResponses.BadRequest($"{kind.Kind} in version \"{kind.Version}\" cannot be handled as a {kind.Kind}: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
        }
    }

    private static ApiException Mismatch(ResourceKind kind, JsonNode value, string path, string expected)
    {
        var got = value switch
        {
            JsonObject => "object",
            JsonArray => "array",
            JsonValue v when v.TryGetValue<string>(out _) => "string",
            JsonValue v when v.TryGetValue<bool>(out _) => "bool",
            _ => "number",
        };
        return StatusResponses.BadRequest(string.Create(CultureInfo.InvariantCulture,
            $"{kind.Kind} in version \"{kind.Version}\" cannot be handled as a {kind.Kind}: json: cannot unmarshal {got} into Go struct field {path} of type {expected}"));
    }
}
