namespace Amortized.Testing;

/// <summary>Outcome of <see cref="GradCheck.Check"/>.</summary>
/// <param name="Passed">True when every gradient element of every input is within tolerance.</param>
/// <param name="WorstRatio">max over elements of |analytic - numeric| / (atol + rtol |numeric|); passing means &lt;= 1.</param>
/// <param name="Report">What was checked and, on failure, the first mismatches with their inputs and indices.</param>
public sealed record GradCheckResult(bool Passed, double WorstRatio, string Report);
