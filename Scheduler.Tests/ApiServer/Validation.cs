using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Quorum.Tests.ApiServer;

/// <summary>
/// The metadata validation every kind gets (k8s.io/apimachinery/pkg/api/validation ValidateObjectMeta
/// and k8s.io/apimachinery/pkg/util/validation): name formats, label and annotation keys and values,
/// with the real messages.
/// </summary>
internal static partial class Validation
{
    private const string Dns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    private const string Dns1123SubdomainFmt = Dns1123LabelFmt + "(\\." + Dns1123LabelFmt + ")*";
    private const string QualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";

    [GeneratedRegex("^" + Dns1123LabelFmt + "$")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex("^" + Dns1123SubdomainFmt + "$")]
    private static partial Regex Dns1123Subdomain();

    [GeneratedRegex("^" + QualifiedNameFmt + "$")]
    private static partial Regex QualifiedNamePart();

    [GeneratedRegex("^(" + QualifiedNameFmt + ")?$")]
    private static partial Regex LabelValuePattern();

    public static List<string> IsDns1123Label(string value)
    {
        var errs = new List<string>();
        if (value.Length > 63) errs.Add("must be no more than 63 characters");
        if (!Dns1123Label().IsMatch(value))
            errs.Add($"a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '{Dns1123LabelFmt}')");
        return errs;
    }

    public static List<string> IsDns1123Subdomain(string value)
    {
        var errs = new List<string>();
        if (value.Length > 253) errs.Add("must be no more than 253 characters");
        if (!Dns1123Subdomain().IsMatch(value))
            errs.Add($"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '{Dns1123SubdomainFmt}')");
        return errs;
    }

    /// <summary>path.IsValidPathSegmentName: every name must at least be usable in a URL path.</summary>
    public static List<string> IsPathSegmentName(string value)
    {
        var errs = new List<string>();
        if (value is "." or "..") errs.Add($"may not be '{value}'");
        foreach (var bad in new[] { "/", "%" })
            if (value.Contains(bad, StringComparison.Ordinal)) errs.Add($"may not contain '{bad}'");
        return errs;
    }

    public static List<string> QualifiedName(string value)
    {
        var errs = new List<string>();
        var parts = value.Split('/');
        string name;
        switch (parts.Length)
        {
            case 1:
                name = parts[0];
                break;
            case 2:
                if (parts[0].Length == 0) errs.Add("prefix part must be non-empty");
                else errs.AddRange(IsDns1123Subdomain(parts[0]).Select(e => "prefix part " + e));
                name = parts[1];
                break;
            default:
                errs.Add($"a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '{QualifiedNameFmt}') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
                return errs;
        }
        if (name.Length == 0) errs.Add("name part must be non-empty");
        else if (name.Length > 63) errs.Add("name part must be no more than 63 characters");
        if (name.Length > 0 && !QualifiedNamePart().IsMatch(name))
            errs.Add($"name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '{QualifiedNameFmt}')");
        return errs;
    }

    public static List<string> LabelValue(string value)
    {
        var errs = new List<string>();
        if (value.Length > 63) errs.Add("must be no more than 63 characters");
        if (!LabelValuePattern().IsMatch(value))
            errs.Add($"a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
        return errs;
    }

    /// <summary>ValidateObjectMeta: name (with the kind's name rule), namespace, labels, annotations.</summary>
    public static List<FieldError> ObjectMeta(JsonObject obj, ResourceKind kind)
    {
        var errs = new List<FieldError>();
        var meta = obj["metadata"] as JsonObject;
        var name = JsonObjects.Str(meta?["name"]) ?? "";
        if (name.Length == 0)
        {
            errs.Add(FieldError.Required("metadata.name", "name or generateName is required"));
        }
        else
        {
            foreach (var msg in IsPathSegmentName(name).Concat(kind.ValidateName(name)))
                errs.Add(FieldError.Invalid("metadata.name", name, msg));
        }
        if (kind.Namespaced)
        {
            var ns = JsonObjects.Str(meta?["namespace"]) ?? "";
            if (ns.Length == 0) errs.Add(FieldError.Required("metadata.namespace", ""));
            else foreach (var msg in IsDns1123Label(ns)) errs.Add(FieldError.Invalid("metadata.namespace", ns, msg));
        }
        else if (!string.IsNullOrEmpty(JsonObjects.Str(meta?["namespace"])))
        {
            errs.Add(FieldError.Forbidden("metadata.namespace", "not allowed on this type"));
        }
        if (meta?["labels"] is JsonObject labels)
        {
            foreach (var (key, value) in labels)
            {
                foreach (var msg in QualifiedName(key)) errs.Add(FieldError.Invalid("metadata.labels", key, msg));
                var text = JsonObjects.Str(value);
                if (text is null) errs.Add(FieldError.Invalid($"metadata.labels", value?.DeepClone(), "label values must be strings"));
                else foreach (var msg in LabelValue(text)) errs.Add(FieldError.Invalid("metadata.labels", text, msg));
            }
        }
        if (meta?["annotations"] is JsonObject annotations)
        {
            long total = 0;
            foreach (var (key, value) in annotations)
            {
                foreach (var msg in QualifiedName(key.ToLowerInvariant())) errs.Add(FieldError.Invalid("metadata.annotations", key, msg));
                total += key.Length + (JsonObjects.Str(value)?.Length ?? 0);
            }
            if (total > 256 * 1024) errs.Add(FieldError.TooLong("metadata.annotations", 256 * 1024));
        }
        return errs;
    }
}
