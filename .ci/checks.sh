# Shared by the CI check scripts (aot-cli-check, pack-check, readme-check): one line per check in the format of
# `dotnet test`, printed and appended to $log so that .ci/run counts it. Set check_prefix, log and status=0, then
# source this file.
pass() {
  echo "Passed!  - Failed:     0, Passed:     1, Skipped:     0, Total:     1 - $check_prefix.$1" | tee -a "$log"
}
fail() {
  echo "Failed!  - Failed:     1, Passed:     0, Skipped:     0, Total:     1 - $check_prefix.$1: $2" | tee -a "$log"
  status=1
}
