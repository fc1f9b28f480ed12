using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Quorum.Tests.ApiServer;

/// <summary>
/// A CRD's structural OpenAPI v3 schema applied as the apiextensions-apiserver applies it to every
/// write: prune unknown fields (silently, with a Warning header, unless
/// x-kubernetes-preserve-unknown-fields), drop nulls where the schema is not nullable, fill
/// <c>default</c>s, then validate (type, enum, required, bounds, lengths, pattern, date-time format,
/// list-map/set uniqueness), with the messages of k8s.io/kube-openapi's validator. The CEL rules
/// (x-kubernetes-validations) are <see cref="CelRules"/>.
/// </summary>
internal static class StructuralSchema
{
    /// <summary>Prunes and defaults the object in place, below the root's apiVersion/kind/metadata.</summary>
    public static void PruneAndDefault(JsonObject root, JsonObject schema, List<string> warnings)
    {
        foreach (var (key, value) in root.ToList())
        {
            if (key is "apiVersion" or "kind" or "metadata") continue;
            var sub = Property(schema, key);
            if (sub is null && !PreservesUnknown(schema))
            {
                root.Remove(key);
                warnings.Add($"unknown field \"{key}\"");
                continue;
            }
            if (value is null)
            {
                if (sub is null || !Nullable(sub)) root.Remove(key);
                continue;
            }
            if (sub is not null) Prune(value, sub, key, warnings);
        }
        ApplyDefaults(root, schema, isRoot: true);
    }

    private static void Prune(JsonNode node, JsonObject schema, string path, List<string> warnings)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                {
                    var childPath = $"{path}.{key}";
                    var sub = Property(schema, key) ?? (schema["additionalProperties"] as JsonObject);
                    if (sub is null)
                    {
                        if (!PreservesUnknown(schema))
                        {
                            obj.Remove(key);
                            warnings.Add($"unknown field \"{childPath}\"");
                        }
                        continue;
                    }
                    if (value is null)
                    {
                        if (!Nullable(sub)) obj.Remove(key);
                        continue;
                    }
                    Prune(value, sub, childPath, warnings);
                }
                break;
            case JsonArray arr when schema["items"] is JsonObject items:
                for (var i = 0; i < arr.Count; i++)
                {
                    if (arr[i] is { } item) Prune(item, items, $"{path}[{i}]", warnings);
                }
                break;
        }
    }

    private static void ApplyDefaults(JsonNode node, JsonObject schema, bool isRoot = false)
    {
        switch (node)
        {
            case JsonObject obj:
                if (schema["properties"] is JsonObject props)
                {
                    foreach (var (key, sub) in props)
                    {
                        if (isRoot && key is "apiVersion" or "kind" or "metadata") continue;
                        if (sub is not JsonObject subSchema) continue;
                        if (!obj.ContainsKey(key) && subSchema["default"] is { } dflt) obj[key] = dflt.DeepClone();
                        if (obj[key] is { } child) ApplyDefaults(child, subSchema);
                    }
                }
                if (schema["additionalProperties"] is JsonObject additional)
                {
                    foreach (var (_, value) in obj.ToList())
                    {
                        if (value is not null) ApplyDefaults(value, additional);
                    }
                }
                break;
            case JsonArray arr when schema["items"] is JsonObject items:
                foreach (var item in arr)
                {
                    if (item is not null) ApplyDefaults(item, items);
                }
                break;
        }
    }

    /// <summary>Validation errors for the object (metadata, apiVersion and kind are checked elsewhere).</summary>
    public static List<FieldError> Validate(JsonObject root, JsonObject schema)
    {
        var errs = new List<FieldError>();
        foreach (var req in (schema["required"] as JsonArray ?? []).Select(JsonObjects.Str))
        {
            if (req is not null && req is not ("apiVersion" or "kind" or "metadata") && root[req] is null) errs.Add(FieldError.Required(req, ""));
        }
        foreach (var (key, value) in root)
        {
            if (key is "apiVersion" or "kind" or "metadata" || value is null) continue;
            if (Property(schema, key) is { } sub) Check(value, sub, key, errs);
        }
        return errs;
    }

    private static void Check(JsonNode node, JsonObject schema, string path, List<FieldError> errs)
    {
        var type = JsonObjects.Str(schema["type"]);
        var actual = TypeOf(node);
        var intOrString = JsonObjects.Bool(schema["x-kubernetes-int-or-string"]) == true;
        if (intOrString)
        {
            if (actual is not ("integer" or "string")) errs.Add(TypeError(path, actual, "integer or string"));
        }
        else if (type is not null && !(type == actual || (type == "number" && actual == "integer")))
        {
            errs.Add(TypeError(path, actual, type));
            return;
        }
        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, node)))
            errs.Add(FieldError.NotSupported(path, node.DeepClone(), allowed.Select(JsonObjects.ScalarText)));
        switch (node)
        {
            case JsonObject obj:
                foreach (var req in (schema["required"] as JsonArray ?? []).Select(JsonObjects.Str))
                {
                    if (req is not null && obj[req] is null) errs.Add(FieldError.Required($"{path}.{req}", ""));
                }
                if (JsonObjects.Long(schema["minProperties"]) is { } minProps && obj.Count < minProps)
                    errs.Add(FieldError.Invalid(path, obj.Count, $"{path} in body should have at least {minProps} properties"));
                if (JsonObjects.Long(schema["maxProperties"]) is { } maxProps && obj.Count > maxProps)
                    errs.Add(new FieldError("FieldValueTooMany", path, $"Too many: {obj.Count}: must have at most {maxProps} items"));
                foreach (var (key, value) in obj)
                {
                    if (value is null) continue;
                    var sub = Property(schema, key) ?? (schema["additionalProperties"] as JsonObject);
                    if (sub is not null) Check(value, sub, $"{path}.{key}", errs);
                }
                break;
            case JsonArray arr:
                if (JsonObjects.Long(schema["minItems"]) is { } minItems && arr.Count < minItems)
                    errs.Add(FieldError.Invalid(path, arr.Count, $"{path} in body should have at least {minItems} items"));
                if (JsonObjects.Long(schema["maxItems"]) is { } maxItems && arr.Count > maxItems)
                    errs.Add(new FieldError("FieldValueTooMany", path, $"Too many: {arr.Count}: must have at most {maxItems} items"));
                if (schema["items"] is JsonObject items)
                {
                    for (var i = 0; i < arr.Count; i++)
                    {
                        if (arr[i] is { } item) Check(item, items, $"{path}[{i}]", errs);
                    }
                }
                CheckListType(arr, schema, path, errs);
                break;
            case JsonValue v when actual is "integer" or "number":
                {
                    var d = v.TryGetValue<double>(out var dv) ? dv : 0;
                    if (schema["minimum"] is JsonValue minNode)
                    {
                        var min = minNode.GetValue<double>();
                        var exclusive = JsonObjects.Bool(schema["exclusiveMinimum"]) == true;
                        if (exclusive ? d <= min : d < min)
                            errs.Add(FieldError.Invalid(path, v.DeepClone(), $"{path} in body should be greater than {(exclusive ? "" : "or equal to ")}{Number(min)}"));
                    }
                    if (schema["maximum"] is JsonValue maxNode)
                    {
                        var max = maxNode.GetValue<double>();
                        var exclusive = JsonObjects.Bool(schema["exclusiveMaximum"]) == true;
                        if (exclusive ? d >= max : d > max)
                            errs.Add(FieldError.Invalid(path, v.DeepClone(), $"{path} in body should be less than {(exclusive ? "" : "or equal to ")}{Number(max)}"));
                    }
                    break;
                }
            case JsonValue v when actual == "string":
                {
                    var s = v.GetValue<string>();
                    if (JsonObjects.Long(schema["minLength"]) is { } minLen && s.Length < minLen)
                        errs.Add(FieldError.Invalid(path, s, $"{path} in body should be at least {minLen} chars long"));
                    if (JsonObjects.Long(schema["maxLength"]) is { } maxLen && s.Length > maxLen)
                        errs.Add(FieldError.TooLong(path, (int)maxLen));
                    if (JsonObjects.Str(schema["pattern"]) is { } pattern && !Regex.IsMatch(s, pattern, RegexOptions.None, TimeSpan.FromSeconds(1)))
                        errs.Add(FieldError.Invalid(path, s, $"{path} in body should match '{pattern}'"));
                    if (JsonObjects.Str(schema["format"]) == "date-time" && !JsonObjects.TryParseTime(s, out _))
                        errs.Add(FieldError.Invalid(path, s, $"{path} in body must be of type date-time: \"{s}\""));
                    break;
                }
        }
    }

    private static void CheckListType(JsonArray arr, JsonObject schema, string path, List<FieldError> errs)
    {
        switch (JsonObjects.Str(schema["x-kubernetes-list-type"]))
        {
            case "map":
                {
                    var keys = (schema["x-kubernetes-list-map-keys"] as JsonArray ?? []).Select(JsonObjects.Str).OfType<string>().ToList();
                    var seen = new List<JsonObject>();
                    for (var i = 0; i < arr.Count; i++)
                    {
                        if (arr[i] is not JsonObject item) continue;
                        var id = new JsonObject(keys.Where(item.ContainsKey).Select(k => KeyValuePair.Create(k, item[k]?.DeepClone())));
                        if (seen.Any(s => JsonNode.DeepEquals(s, id)))
                            errs.Add(new FieldError("FieldValueDuplicate", $"{path}[{i}]", $"Duplicate value: map[string]interface {{}}{{{string.Join(", ", id.Select(p => $"\"{p.Key}\":{JsonObjects.Serialize(p.Value)}"))}}}"));
                        seen.Add(id);
                    }
                    break;
                }
            case "set":
                for (var i = 0; i < arr.Count; i++)
                {
                    for (var j = 0; j < i; j++)
                    {
                        if (JsonNode.DeepEquals(arr[i], arr[j])) { errs.Add(FieldError.Duplicate($"{path}[{i}]", arr[i]?.DeepClone())); break; }
                    }
                }
                break;
        }
    }

    private static FieldError TypeError(string path, string actual, string expected) =>
        new("FieldValueTypeInvalid", path, $"Invalid value: \"{actual}\": {path} in body must be of type {expected}: \"{actual}\"");

    private static string Number(double d) => d.ToString(CultureInfo.InvariantCulture);

    private static string TypeOf(JsonNode node) => node switch
    {
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v when v.TryGetValue<string>(out _) => "string",
        JsonValue v when v.TryGetValue<bool>(out _) => "boolean",
        JsonValue v when v.TryGetValue<long>(out _) => "integer",
        JsonValue v when v.TryGetValue<double>(out var d) && d == Math.Floor(d) && !v.ToJsonString().Contains('.', StringComparison.Ordinal) => "integer",
        _ => "number",
    };

    private static JsonObject? Property(JsonObject schema, string key) => schema["properties"]?[key] as JsonObject;

    private static bool PreservesUnknown(JsonObject schema) => JsonObjects.Bool(schema["x-kubernetes-preserve-unknown-fields"]) == true;

    private static bool Nullable(JsonObject schema) => JsonObjects.Bool(schema["nullable"]) == true;
}
