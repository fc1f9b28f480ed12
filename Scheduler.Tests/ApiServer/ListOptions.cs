using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Quorum.Tests.ApiServer;

/// <summary>
/// metav1.ListOptions from the query string, with the checks ValidateListOptions makes (422 on
/// ListOptions.meta.k8s.io). Booleans decode as Go's Convert_Slice_string_To_bool: anything but "0"
/// or "false" is true, so <c>watch=1</c> and <c>watch=true</c> both watch.
/// </summary>
internal sealed record ListOptions(
    string? LabelSelector,
    string? FieldSelector,
    string? ResourceVersion,
    string? ResourceVersionMatch,
    bool Watch,
    bool AllowWatchBookmarks,
    long? TimeoutSeconds,
    long? Limit,
    string? Continue,
    bool? SendInitialEvents)
{
    public static ListOptions From(IQueryCollection q)
    {
        var options = new ListOptions(
            Text(q, "labelSelector"),
            Text(q, "fieldSelector"),
            Text(q, "resourceVersion"),
            Text(q, "resourceVersionMatch"),
            Bool(q, "watch") ?? false,
            Bool(q, "allowWatchBookmarks") ?? false,
            Int(q, "timeoutSeconds"),
            Int(q, "limit"),
            Text(q, "continue"),
            Bool(q, "sendInitialEvents"));
        options.Validate();
        return options;
    }

    /// <summary>The requested revision: null when unset or "0" (both mean "any/most recent" in different ways).</summary>
    public long? Revision => ResourceVersion is null or "" or "0" ? null : ParseRevision(ResourceVersion);

    public static long ParseRevision(string rv) =>
        long.TryParse(rv, NumberStyles.None, CultureInfo.InvariantCulture, out var r)
            ? r
            : throw StatusResponses.BadRequest($"invalid resource version: strconv.ParseUint: parsing \"{rv}\": invalid syntax");

    private void Validate()
    {
        var errs = new List<FieldError>();
        var match = ResourceVersionMatch ?? "";
        if (Watch)
        {
            if (SendInitialEvents is not null && match != "NotOlderThan")
                errs.Add(FieldError.Forbidden("resourceVersionMatch", "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"));
            if (match.Length > 0)
            {
                if (SendInitialEvents is null) errs.Add(FieldError.Forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"));
                if (match != "NotOlderThan") errs.Add(FieldError.NotSupported("resourceVersionMatch", match, ["NotOlderThan"]));
                if (Continue is { Length: > 0 }) errs.Add(FieldError.Forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"));
            }
        }
        else
        {
            if (match.Length > 0)
            {
                if (string.IsNullOrEmpty(ResourceVersion)) errs.Add(FieldError.Forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden unless resourceVersion is provided"));
                if (Continue is { Length: > 0 }) errs.Add(FieldError.Forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"));
                if (match is not ("Exact" or "NotOlderThan")) errs.Add(FieldError.NotSupported("resourceVersionMatch", match, ["Exact", "NotOlderThan", ""]));
                if (match == "Exact" && ResourceVersion == "0") errs.Add(FieldError.Forbidden("resourceVersionMatch", "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""));
            }
            if (SendInitialEvents is not null) errs.Add(FieldError.Forbidden("sendInitialEvents", "sendInitialEvents is forbidden for list"));
        }
        if (errs.Count > 0) throw StatusResponses.Invalid("ListOptions.meta.k8s.io", "", "meta.k8s.io", errs);
    }

    private static string? Text(IQueryCollection q, string name) => q.TryGetValue(name, out var v) ? v.ToString() : null;

    private static bool? Bool(IQueryCollection q, string name) =>
        q.TryGetValue(name, out var v) ? !(v[0] == "0" || string.Equals(v[0], "false", StringComparison.OrdinalIgnoreCase)) : null;

    private static long? Int(IQueryCollection q, string name)
    {
        if (!q.TryGetValue(name, out var v) || string.IsNullOrEmpty(v[0])) return null;
        return long.TryParse(v[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw StatusResponses.BadRequest($"strconv.ParseInt: parsing \"{v[0]}\": invalid syntax");
    }
}
