export const USAGE = `Usage: kjobs [--url URL] [--api-key KEY] COMMAND [ARGS]

Submit and follow training jobs and hyperparameter sweeps of a keras-jobs service.

Commands:
  submit SPEC.json [--follow]     submit a job spec ('-' reads it from stdin) and print
                                  the job id; --follow then follows it as below
  follow JOB                      print the job's epochs as Keras does until it ends
                                  (a progress bar too when stdout is a terminal)
  ls [--state S] [--type T] [--limit N] [--cursor C] [--json]
                                  list jobs, newest first (S: queued, running, completed,
                                  failed, cancelled; T: fit, evaluate, predict; N: 1-100)
  cancel JOB                      cancel a queued or running job
  download MODEL [--checkpoint NAME] [-o FILE]
                                  save the trained model (or a checkpoint) as .tar.gz to
                                  FILE (default MODEL.tar.gz or MODEL-NAME.tar.gz; - is stdout)
  sweep SPEC.json [--follow]      submit a sweep ('-' reads it from stdin) and print its id;
                                  --follow then prints one line per finished trial (state,
                                  objective, epochs run, hyperparameters) and, at the end,
                                  the best trial and its model
  cancel-sweep SWEEP              cancel a running sweep and its queued and running trials
  help                            show this text

Options:
  --url URL        the service (default: $KJOBS_URL, else http://127.0.0.1:3000)
  --api-key KEY    sent as "Authorization: Bearer KEY" (default: $KJOBS_API_KEY)
  -h, --help       show this text

Environment:
  KJOBS_URL        the service's base URL
  KJOBS_API_KEY    the API key, when the service runs with API_KEYS

Exit status:
  0   done; the followed job or sweep completed
  1   the followed job or sweep failed, or the service refused the request
  2   the followed job or sweep was cancelled
  3   the service could not be reached (or answered 5xx), or the event stream
      could not be re-established
  64  bad command line
`;
