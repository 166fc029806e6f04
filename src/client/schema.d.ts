/** Generated from openapi/openapi.json by openapi-typescript (npm run openapi); do not edit. */

export interface paths {
    "/v1/datasets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Upload a dataset: .npy, .npz, .csv or .json files
         * @description Each "file" part becomes one or more named arrays, normalized to float32 (floats) or int32 (integers, booleans) in C order. All or nothing: a dataset exists only if every part was valid. curl -F file=@x_train.npy -F file=@y_train.npy …/v1/datasets
         */
        post: operations["uploadDataset"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/datasets/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Describe a dataset: its arrays, shapes and dtypes */
        get: operations["getDataset"];
        put?: never;
        post?: never;
        /**
         * Delete a dataset
         * @description A dataset that a queued or running job reads answers 409 naming the jobs.
         */
        delete: operations["deleteDataset"];
        options?: never;
        head?: never;
        /**
         * Set or clear a dataset's TTL
         * @description After ttl_s seconds the dataset is removed, unless a queued or running job reads it (then once it no longer does).
         */
        patch: operations["setDatasetTtl"];
        trace?: never;
    };
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness (always 200 while the process runs), Redis reachability, live workers and their backend */
        get: operations["getHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: 200 when Redis answers and at least one worker was seen in the last 30 s, else 503 */
        get: operations["getReadiness"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Prometheus metrics: jobs by state and type, queue depth, job/epoch/queue-wait histograms, training speed, SSE subscribers, workers by backend, process metrics */
        get: operations["getMetrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/models/import": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Import a Keras model: a .keras file (Keras 3) or a .h5 file (tf.keras 2), multipart part "file"
         * @description The architecture is translated (unsupported layers or options are named in a 422, with what is supported), the weights are checked against it, and a worker stores the model. Answers 201 with the model id once stored (within ?wait= seconds, default 60), else 202 with the import job to poll.
         */
        post: operations["importModel"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/models/{id}/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Export a model (or ?checkpoint=) as a Keras 3 .keras file, as Keras 3 to_json(), or in the TensorFlow.js layers format (.tar.gz)
         * @description format=keras: load it with keras.saving.load_model("model.keras"); it predicts what this model predicts. format=keras_json: keras.models.model_from_json(text). format=tfjs: tf.loadLayersModel on the unpacked model.json.
         */
        get: operations["exportModel"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List jobs, newest first */
        get: operations["listJobs"];
        put?: never;
        /**
         * Submit a job: fit, evaluate or predict
         * @description Checks the whole spec (graph, shapes, names, data, referenced models) and queues it. Sections mirror the Keras calls: model, compile, fit, evaluate, predict.
         */
        post: operations["createJob"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Poll a job */
        get: operations["getJob"];
        put?: never;
        post?: never;
        /**
         * Cancel a job
         * @description A queued job is removed from the queue; a running job stops within one batch, keeps its checkpoints, ends in cancelled and is never retried. A finished job answers 409.
         */
        delete: operations["cancelJob"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs/{id}/spec": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The spec the job runs, as checked and normalized at submission; data arrays are shown by shape only */
        get: operations["getJobSpec"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs/{id}/result/{file}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Predictions of a job as .npy: predictions.npy (single-output models) or <output name>.npy */
        get: operations["downloadJobResult"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs/{id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Follow a job live (text/event-stream)
         * @description Events: state, resumed, train_begin, epoch_begin, progress (within a long epoch, at most once a second: epoch, step, steps, loss), epoch_end (Keras logs), checkpoint, early_stopping, lr_reduced, terminated_nan, train_end, evaluate, predict, then one of completed / failed / cancelled, after which the stream closes. A server that shuts down sends `reconnect` (no id) and closes: reconnect with Last-Event-ID. Reconnect with the Last-Event-ID header (or ?last_event_id=) to resume without gaps or duplicates. A comment line is sent every 15 s as a heartbeat.
         */
        get: operations["streamJobEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sweeps": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The tenant's sweeps, newest first */
        get: operations["listSweeps"];
        put?: never;
        /**
         * Start a hyperparameter sweep (KerasTuner-style)
         * @description Every trial is an ordinary fit job (in /v1/jobs, with its own events, checkpoints and model), run on any worker, up to max_parallel_trials at once. The base job is checked with one point of the space before the sweep is accepted.
         */
        post: operations["createSweep"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sweeps/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A sweep: its trials (hyperparameters, state, objective) and the best so far */
        get: operations["getSweep"];
        put?: never;
        post?: never;
        /**
         * Cancel a sweep and its queued and running trials
         * @description The controller cancels every trial not yet ended (queued ones leave the queue, running ones stop within a batch) and ends the sweep in cancelled.
         */
        delete: operations["cancelSweep"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sweeps/{id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Follow a sweep live (text/event-stream)
         * @description Events: state, trial_started {trial_id, job_id, hyperparameters}, trial_stopped {trial_id, job_id, epoch, reason} (early_stopping cancelled the trial's job), trial_ended {trial_id, state, objective, epochs_run, stopped_reason?}, new_best, then completed / cancelled / failed, after which the stream closes. Replayable with Last-Event-ID, as a job's stream.
         */
        get: operations["streamSweepEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/models": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List models, newest first */
        get: operations["listModels"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/models/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Describe a model: spec, summary, final metrics, checkpoints, files, size */
        get: operations["getModel"];
        put?: never;
        post?: never;
        /**
         * Delete a model and all its files
         * @description A model that a queued or running job trains, starts from or runs answers 409 naming the jobs.
         */
        delete: operations["deleteModel"];
        options?: never;
        head?: never;
        /**
         * Set or clear a model's TTL
         * @description After ttl_s seconds the model is removed, unless a queued or running job trains, starts from or runs it (then once none does).
         */
        patch: operations["setModelTtl"];
        trace?: never;
    };
    "/v1/models/{id}/archive": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Download the final model (or ?checkpoint=<name>) as one .tar.gz in the TensorFlow.js layers format */
        get: operations["downloadModelArchive"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/models/{id}/predict": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Predict with a model (a predict job; ?wait=SECONDS answers with the result) */
        post: operations["predictWithModel"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/models/{id}/evaluate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Evaluate a model (an evaluate job; ?wait=SECONDS answers with the result) */
        post: operations["evaluateModel"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/usage": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The calling tenant's use of its quotas, and the limits */
        get: operations["getUsage"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/models/{id}/files/{path}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Download one file of the final model (final/<file>) or of a checkpoint (checkpoints/<name>/<file>) */
        get: operations["downloadModelFile"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** ArrayLike */
        ArrayLike: unknown[] | components["schemas"]["EncodedArray"] | components["schemas"]["RandomArray"] | components["schemas"]["DatasetArray"];
        /** CompileSpec */
        CompileSpec: {
            optimizer?: string | components["schemas"]["Serialized"];
            /** @description One loss for every output, or one per output (list in output order, or dict by output name); null: that output has no loss (its metrics are still computed). */
            loss: (string | components["schemas"]["Serialized"]) | ((string | components["schemas"]["Serialized"]) | null)[] | {
                [key: string]: (string | components["schemas"]["Serialized"]) | null;
            };
            metrics?: ((string | components["schemas"]["Serialized"]) | (string | components["schemas"]["Serialized"])[])[] | {
                [key: string]: (string | components["schemas"]["Serialized"]) | (string | components["schemas"]["Serialized"])[];
            };
            loss_weights?: number[] | {
                [key: string]: number;
            };
        };
        /**
         * Data
         * @description An array, a list of arrays in model input/output order, or a dict keyed by input/output name.
         */
        Data: components["schemas"]["ArrayLike"] | {
            [key: string]: components["schemas"]["ArrayLike"];
        };
        /**
         * Dataset
         * @description A dataset: its arrays by name, as stored (float32 or int32, C order).
         */
        Dataset: {
            id: string;
            created_at: string;
            /** @description Bytes the stored arrays take on disk. */
            bytes: number;
            /**
             * Format: date-time
             * @description When it may be removed (its ttl_s); absent: kept until deleted.
             */
            expires_at?: string;
            /** @description By array name. */
            arrays: {
                [key: string]: {
                    shape: number[];
                    /** @description After normalization: floats become float32, integers and booleans int32. */
                    dtype: "float32" | "int32";
                    /** @description Column names, for an array from a CSV file. */
                    columns?: string[];
                };
            };
            links: {
                self: string;
            };
        };
        /**
         * DatasetArray
         * @description An array of an uploaded dataset. Jobs read it batch by batch from disk, so it is bound by disk (DATASET_MAX_BYTES, the disk quota), not by MAX_ARRAY_ELEMENTS.
         */
        DatasetArray: {
            /** @description An id from POST /v1/datasets. */
            dataset: string;
            array: string;
            /** @description Half-open [start, stop) slice of the first axis, as Python slices: negative counts from the end, both ends clamped to the array. */
            rows?: [
                number,
                number
            ];
            /** @description CSV column names or indices along the last axis. */
            columns?: (string | number)[];
        };
        /**
         * EarlyStoppingPolicy
         * @description Stops trials whose objective lags, while they run: the trial's job is cancelled with the reason, which is in its cancelled event and the sweep's trial_stopped event.
         */
        EarlyStoppingPolicy: {
            /** @enum {string} */
            class_name: "MedianStoppingRule";
            config?: {
                /** @description Epochs a trial runs before it can be stopped; the running means start here (default 1). */
                grace_period?: number;
                /** @description Other trials that must have reached the epoch before the median counts (default 3). */
                min_samples_required?: number;
            };
        } | {
            /** @enum {string} */
            class_name: "ASHA";
            config?: {
                /** @description The first rung, in epochs (default 1). */
                grace_period?: number;
                /** @description Rungs at grace_period × reduction_factor^k epochs; a trial continues past a rung only in the top 1/reduction_factor (default 4). */
                reduction_factor?: number;
            };
        };
        /**
         * EncodedArray
         * @description A dense array as raw little-endian bytes.
         */
        EncodedArray: {
            dtype: "float32" | "int32";
            shape: number[];
            /** @description Little-endian element bytes, base64. */
            b64: string;
        };
        /** EvaluateJobCreate */
        EvaluateJobCreate: {
            /** @enum {string} */
            type: "evaluate";
            model_id: string;
            /** @description A checkpoint name from GET /v1/models/{id}; omitted: the final model. */
            checkpoint?: string;
            evaluate: components["schemas"]["EvaluateSpec"];
            /** @description BullMQ priority: 1 is the highest; jobs without one run first-come first-served before prioritized ones. */
            priority?: number;
            /** @description The job fails with a timeout error if it runs longer than this. */
            timeout_s?: number;
        };
        /**
         * EvaluateSpec
         * @description keras Model.evaluate(x, y, batch_size, sample_weight) — the result is evaluate(return_dict=True).
         */
        EvaluateSpec: {
            x: components["schemas"]["Data"];
            y: components["schemas"]["Data"];
            batch_size?: number;
            sample_weight?: components["schemas"]["Data"];
        };
        /** ExpiryPatch */
        ExpiryPatch: {
            /** @description Seconds from now until it may be removed; null keeps it until deleted. */
            ttl_s: number | null;
        };
        /**
         * FitJobCreate
         * @description Train a model (model and compile are required unless initial_model names one to continue from); optional evaluate and predict sections run after training.
         */
        FitJobCreate: {
            /** @enum {string} */
            type: "fit";
            model?: components["schemas"]["ModelSpec"];
            compile?: components["schemas"]["CompileSpec"];
            fit: components["schemas"]["FitSpec"];
            initial_model?: components["schemas"]["ModelRef"];
            evaluate?: components["schemas"]["EvaluateSpec"];
            predict?: components["schemas"]["PredictSpec"];
            /** @description BullMQ priority: 1 is the highest; jobs without one run first-come first-served before prioritized ones. */
            priority?: number;
            /** @description The job fails with a timeout error if it runs longer than this. */
            timeout_s?: number;
        };
        /** FitSpec */
        FitSpec: {
            x: components["schemas"]["Data"];
            y: components["schemas"]["Data"];
            batch_size?: number;
            epochs?: number;
            initial_epoch?: number;
            /** @description Default true: a seeded permutation of the rows each epoch; for uploaded datasets larger than one 16 MiB read window, a permutation of blocks of rows, then of the rows within each window (README "Datasets larger than memory"). False reads rows in order. */
            shuffle?: boolean;
            validation_data?: components["schemas"]["ValidationData"];
            validation_split?: number;
            class_weight?: {
                [key: string]: number;
            };
            sample_weight?: components["schemas"]["Data"];
            callbacks?: components["schemas"]["Serialized"][];
            verbose?: unknown;
            /** @description Not a Keras key (default 2). Epoch checkpoints (epoch-NNNN, written after every epoch for resuming) kept besides the latest; older ones are deleted as training goes. The one EarlyStopping(restore_best_weights) needs is always kept, and ModelCheckpoint files are never deleted. */
            keep_checkpoints?: number;
        };
        /**
         * GraphModel
         * @description A functional model: named inputs, layers with their inbound tensors, and the output tensors.
         */
        GraphModel: {
            inputs: components["schemas"]["Input"][];
            layers: components["schemas"]["Layer"][];
            outputs: components["schemas"]["TensorRef"][];
            /** @description Initial weights per layer name, in Keras layer.get_weights() order. */
            weights?: {
                [key: string]: unknown[];
            };
        };
        /**
         * Hyperparameter
         * @description keras_tuner.HyperParameters: Choice, Int, Float, Boolean.
         */
        Hyperparameter: {
            /** @enum {string} */
            type: "choice";
            values: (string | number | boolean)[];
            /** @description KerasTuner's conditional_scope: active only while the parent takes one of these values. */
            parent?: {
                name: string;
                values: (string | number | boolean)[];
            };
        } | {
            /** @enum {string} */
            type: "int";
            min: number;
            max: number;
            step?: number;
            /** @description KerasTuner's sampling (default linear). */
            sampling?: "linear" | "log";
            /** @description KerasTuner's conditional_scope: active only while the parent takes one of these values. */
            parent?: {
                name: string;
                values: (string | number | boolean)[];
            };
        } | {
            /** @enum {string} */
            type: "float";
            min: number;
            max: number;
            step?: number;
            /** @description KerasTuner's sampling (default linear). */
            sampling?: "linear" | "log";
            /** @description KerasTuner's conditional_scope: active only while the parent takes one of these values. */
            parent?: {
                name: string;
                values: (string | number | boolean)[];
            };
        } | {
            /** @enum {string} */
            type: "boolean";
            /** @description KerasTuner's conditional_scope: active only while the parent takes one of these values. */
            parent?: {
                name: string;
                values: (string | number | boolean)[];
            };
        };
        /** ImportAnswer */
        ImportAnswer: {
            /** @description The new model: use it as model_id of evaluate/predict jobs or initial_model of a fit job. */
            id: string;
            job: components["schemas"]["Job"];
            links: {
                model: string;
                job: string;
                export: string;
            };
        };
        /** Input */
        Input: {
            name: string;
            /** @description Shape without the batch dimension; null for a dimension of unknown size. */
            shape: (number | null)[];
            dtype?: "float32" | "int32";
        };
        /** Job */
        Job: {
            id: string;
            type: string;
            /** @description queued → running → completed | failed | cancelled */
            state: "queued" | "running" | "completed" | "failed" | "cancelled";
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            started_at?: string;
            /** Format: date-time */
            finished_at?: string;
            progress: {
                /** @description Epochs completed. */
                epoch: number;
                epochs: number;
                /** @description Training samples per second in the last epoch. */
                samples_per_s?: number;
            };
            /** @description Keras History.history: key → one value per epoch. */
            history: {
                [key: string]: number[];
            };
            error?: {
                message: string;
            };
            /** @description fit: the model it trains (GET /v1/models/{id} answers once training starts, and lists checkpoints as epochs end); evaluate/predict: the model used. */
            model_id?: string;
            result?: {
                /** @description keras Model.evaluate(return_dict=True) */
                evaluate?: {
                    [key: string]: number;
                };
                /** @description One nested array per model output, in output order (keras Model.predict); left out above PREDICTIONS_INLINE_MAX numbers (then read the .npy files). */
                predictions?: unknown[];
                output_names?: string[];
                /** @description Shape of each prediction array; each is also at /v1/jobs/{id}/result/{output}.npy. */
                shapes?: number[][];
            };
            cancel_requested?: boolean;
            /** @description Why it was cancelled, when a sweep did it (early stopping, the sweep cancelled); also in its cancelled event. */
            cancel_reason?: string;
            /** @description TensorFlow.js backend that ran the job: tensorflow (libtensorflow) or cpu (pure JS). */
            backend?: string;
            /** @description fit, once completed: graph when its training steps ran as one TensorFlow graph each (the fast path), eager when kernel by kernel (a Dropout with a noise_shape, or no graph binding). The numbers are the same either way. */
            execution?: "graph" | "eager";
            attempts: number;
            /** @description The API key tenant that owns the job ("public" when the service runs without keys). */
            tenant: string;
            links: {
                self: string;
                events: string;
                model?: string;
            };
        };
        /** JobAccepted */
        JobAccepted: {
            id: string;
            type: string;
            /**
             * @description Always queued on creation (a replayed Idempotency-Key answers the original acceptance).
             * @enum {string}
             */
            state: "queued";
            links: {
                self: string;
                events: string;
            };
        };
        /** JobCreate */
        JobCreate: components["schemas"]["FitJobCreate"] | components["schemas"]["EvaluateJobCreate"] | components["schemas"]["PredictJobCreate"];
        /**
         * JobEvent
         * @description A frame of the job's event stream (text/event-stream), shown as {id, event, data}: the `id:`, `event:` and JSON `data:` lines.
         */
        JobEvent: components["schemas"]["JobEvent_state"] | components["schemas"]["JobEvent_resumed"] | components["schemas"]["JobEvent_train_begin"] | components["schemas"]["JobEvent_epoch_begin"] | components["schemas"]["JobEvent_progress"] | components["schemas"]["JobEvent_epoch_end"] | components["schemas"]["JobEvent_checkpoint"] | components["schemas"]["JobEvent_early_stopping"] | components["schemas"]["JobEvent_lr_reduced"] | components["schemas"]["JobEvent_terminated_nan"] | components["schemas"]["JobEvent_train_end"] | components["schemas"]["JobEvent_evaluate"] | components["schemas"]["JobEvent_predict"] | components["schemas"]["JobEvent_imported"] | components["schemas"]["JobEvent_completed"] | components["schemas"]["JobEvent_failed"] | components["schemas"]["JobEvent_cancelled"] | components["schemas"]["JobEvent_reconnect"];
        /**
         * JobEvent_cancelled
         * @description Terminal: the job was cancelled. The stream closes.
         */
        JobEvent_cancelled: {
            /** @description Send back as Last-Event-ID to resume after it. */
            id: string;
            /** @enum {string} */
            event: "cancelled";
            data: {
                /** @enum {string} */
                state: "cancelled";
                reason?: string;
            } & {
                [key: string]: unknown;
            };
        };
        /**
         * JobEvent_checkpoint
         * @description A checkpoint was written: the resumable one of each epoch, or a ModelCheckpoint save.
         */
        JobEvent_checkpoint: {
            /** @description Send back as Last-Event-ID to resume after it. */
            id: string;
            /** @enum {string} */
            event: "checkpoint";
            data: {
                name: string;
                /** @description 0-based, as Keras callbacks see it. */
                epoch: number;
                kind: "epoch" | "model_checkpoint";
                monitor?: string;
                value?: number;
            };
        };
        /**
         * JobEvent_completed
         * @description Terminal: the job finished; with the model id, history and result. The stream closes.
         */
        JobEvent_completed: {
            /** @description Send back as Last-Event-ID to resume after it. */
            id: string;
            /** @enum {string} */
            event: "completed";
            data: {
                /** @enum {string} */
                state: "completed";
            } & {
                [key: string]: unknown;
            };
        };
        /**
         * JobEvent_early_stopping
         * @description EarlyStopping stopped training.
         */
        JobEvent_early_stopping: {
            /** @description Send back as Last-Event-ID to resume after it. */
            id: string;
            /** @enum {string} */
            event: "early_stopping";
            data: {
                /** @description 0-based, as Keras callbacks see it. */
                epoch: number;
                monitor: string;
                best: number;
                best_epoch: number;
                wait: number;
                patience: number;
                restore_best_weights: boolean;
            };
        };
        /**
         * JobEvent_epoch_begin
         * @description keras Callback.on_epoch_begin.
         */
        JobEvent_epoch_begin: {
            /** @description Send back as Last-Event-ID to resume after it. */
            id: string;
            /** @enum {string} */
            event: "epoch_begin";
            data: {
                /** @description 0-based, as Keras callbacks see it. */
                epoch: number;
                epochs: number;
            };
        };
        /**
         * JobEvent_epoch_end
         * @description keras Callback.on_epoch_end: the epoch's logs, as in History.history.
         */
        JobEvent_epoch_end: {
            /** @description Send back as Last-Event-ID to resume after it. */
            id: string;
            /** @enum {string} */
            event: "epoch_end";
            data: {
                /** @description 0-based, as Keras callbacks see it. */
                epoch: number;
                epochs: number;
                /** @description Keras logs: loss, metrics, val_*, learning_rate. */
                logs: {
                    [key: string]: number;
                };
                duration_s?: number;
                samples_per_s?: number | null;
                /** @description Re-sent from a checkpoint after a worker died before announcing it. */
                recovered?: boolean;
            };
        };
        /**
         * JobEvent_evaluate
         * @description evaluate(return_dict=True).
         */
        JobEvent_evaluate: {
            /** @description Send back as Last-Event-ID to resume after it. */
            id: string;
            /** @enum {string} */
            event: "evaluate";
            data: {
                /** @description Keras logs: loss, metrics, val_*, learning_rate. */
                logs: {
                    [key: string]: number;
                };
            };
        };
        /**
         * JobEvent_failed
         * @description Terminal: the job failed. The stream closes.
         */
        JobEvent_failed: {
            /** @description Send back as Last-Event-ID to resume after it. */
            id: string;
            /** @enum {string} */
            event: "failed";
            data: {
                /** @enum {string} */
                state: "failed";
                error: {
                    message: string;
                };
            } & {
                [key: string]: unknown;
            };
        };
        /**
         * JobEvent_imported
         * @description An imported Keras file became a stored model.
         */
        JobEvent_imported: {
            /** @description Send back as Last-Event-ID to resume after it. */
            id: string;
            /** @enum {string} */
            event: "imported";
            data: {
                model_id: string;
                format: string;
                layers: number;
                params: number;
            };
        };
        /**
         * JobEvent_lr_reduced
         * @description ReduceLROnPlateau lowered the learning rate.
         */
        JobEvent_lr_reduced: {
            /** @description Send back as Last-Event-ID to resume after it. */
            id: string;
            /** @enum {string} */
            event: "lr_reduced";
            data: {
                /** @description 0-based, as Keras callbacks see it. */
                epoch: number;
                monitor: string;
                value: number;
                old_learning_rate: number;
                learning_rate: number;
            };
        };
        /**
         * JobEvent_predict
         * @description Predictions are ready (in the job and as .npy files).
         */
        JobEvent_predict: {
            /** @description Send back as Last-Event-ID to resume after it. */
            id: string;
            /** @enum {string} */
            event: "predict";
            data: {
                output_names: string[];
                shapes: number[][];
            };
        };
        /**
         * JobEvent_progress
         * @description Within a long epoch, at most once a second.
         */
        JobEvent_progress: {
            /** @description Send back as Last-Event-ID to resume after it. */
            id: string;
            /** @enum {string} */
            event: "progress";
            data: {
                /** @description 0-based, as Keras callbacks see it. */
                epoch: number;
                epochs: number;
                step: number;
                steps: number;
                loss: number;
            };
        };
        /**
         * JobEvent_reconnect
         * @description The server is shutting down: reconnect with Last-Event-ID (this frame has no id).
         */
        JobEvent_reconnect: {
            /** @description Send back as Last-Event-ID to resume after it. */
            id: string;
            /** @enum {string} */
            event: "reconnect";
            data: {
                reason: string;
            };
        };
        /**
         * JobEvent_resumed
         * @description After a crash or shutdown the job goes on from this epoch and checkpoint (null: from the start).
         */
        JobEvent_resumed: {
            /** @description Send back as Last-Event-ID to resume after it. */
            id: string;
            /** @enum {string} */
            event: "resumed";
            data: {
                epoch: number;
                checkpoint: string | null;
                attempt?: number;
                reason?: string;
            };
        };
        /**
         * JobEvent_state
         * @description The job changed state (queued, running; a worker shutting down hands it back as queued).
         */
        JobEvent_state: {
            /** @description Send back as Last-Event-ID to resume after it. */
            id: string;
            /** @enum {string} */
            event: "state";
            data: {
                state: "queued" | "running" | "completed" | "failed" | "cancelled";
                worker?: string;
                backend?: string;
                reason?: string;
            };
        };
        /**
         * JobEvent_terminated_nan
         * @description TerminateOnNaN stopped training.
         */
        JobEvent_terminated_nan: {
            /** @description Send back as Last-Event-ID to resume after it. */
            id: string;
            /** @enum {string} */
            event: "terminated_nan";
            data: {
                /** @description 0-based, as Keras callbacks see it. */
                epoch: number;
                batch: number;
                loss: string;
            };
        };
        /**
         * JobEvent_train_begin
         * @description keras Callback.on_train_begin, with the fit parameters.
         */
        JobEvent_train_begin: {
            /** @description Send back as Last-Event-ID to resume after it. */
            id: string;
            /** @enum {string} */
            event: "train_begin";
            data: {
                epochs: number;
                steps: number;
                samples: number;
                batch_size: number;
                backend: string;
            } & {
                [key: string]: unknown;
            };
        };
        /**
         * JobEvent_train_end
         * @description keras Callback.on_train_end.
         */
        JobEvent_train_end: {
            /** @description Send back as Last-Event-ID to resume after it. */
            id: string;
            /** @enum {string} */
            event: "train_end";
            data: {
                epochs_run: number;
                /** @description Keras logs: loss, metrics, val_*, learning_rate. */
                logs: {
                    [key: string]: number;
                };
                execution?: string;
            };
        };
        /** JobList */
        JobList: {
            jobs: components["schemas"]["Job"][];
            /** @description Pass as ?cursor= for the next (older) page; null on the last page. */
            next_cursor: string | null;
        };
        /**
         * KerasJsonModel
         * @description A model designed in Python: translated into this service's model form at submission; unsupported layers or options are a 422 that names them.
         */
        KerasJsonModel: {
            /** @description What Keras gives for model.to_json(): the string, or the parsed object. Keras 3 and tf.keras 2 formats, Functional and Sequential. A compile_config in it is used when the job gives no compile. */
            keras_json: string | {
                [key: string]: unknown;
            };
            /** @description Initial weights per layer name, in Keras layer.get_weights() order. */
            weights?: {
                [key: string]: unknown[];
            };
        };
        /** Layer */
        Layer: {
            name: string;
            /** @description A Keras layer class (Dense, Conv1D, Conv2D, MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalAveragePooling1D, GlobalAveragePooling2D, Flatten, Reshape, Dropout, Activation, BatchNormalization, LayerNormalization, Concatenate, Add, Multiply, Average, Maximum, Minimum, Embedding, SimpleRNN, LSTM, GRU, DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D, Conv1DTranspose, Conv2DTranspose, ZeroPadding1D, ZeroPadding2D, Cropping1D, Cropping2D, UpSampling1D, UpSampling2D, Permute, RepeatVector, ReLU, LeakyReLU, PReLU, ELU, Softmax, Subtract, Rescaling, Normalization, MultiHeadAttention, Bidirectional, SpatialDropout1D, SpatialDropout2D, GaussianNoise, GaussianDropout, AlphaDropout, ActivityRegularization, UnitNormalization, GroupNormalization, Dot, CenterCrop, Resizing, Attention, AdditiveAttention, TimeDistributed), or Sequential / Functional for a nested model (its config is then a model in this service's form). Each takes its Keras 3 config keys; an option the service does not carry out is accepted only at Keras's default (else 422 naming it). */
            class_name: string;
            config?: {
                [key: string]: unknown;
            };
            /** @description The inputs of the layer's call; default: the previous layer (or the first input). */
            inbound?: components["schemas"]["TensorRef"][];
            /** @description Keyword arguments of the call, as in Keras (initial_state=[h, c] for recurrent layers); tensors are written as references. */
            kwargs?: {
                [key: string]: unknown;
            };
            /** @description A layer called more than once (shared weights): one entry per call, instead of inbound and kwargs. Call k is node_index k. */
            calls?: components["schemas"]["LayerCall"][];
        };
        /**
         * LayerCall
         * @description One call of a shared layer (Keras's inbound node).
         */
        LayerCall: {
            inbound: components["schemas"]["TensorRef"][];
            /** @description Keyword arguments of the call, as in Keras (initial_state=[h, c] for recurrent layers); tensors are written as references. */
            kwargs?: {
                [key: string]: unknown;
            };
        };
        /** Model */
        Model: {
            id: string;
            job_id: string;
            /** @description training, trained, or imported (from a Keras file: POST /v1/models/import) */
            status: string;
            /** @description Where an imported model came from. */
            imported?: {
                /** @description keras (.keras archive) or h5 (legacy) */
                format: string;
                filename: string;
                keras_version: string | null;
            };
            created_at: string;
            trained_at?: string;
            /**
             * Format: date-time
             * @description When it may be removed (its ttl_s); absent: kept until deleted.
             */
            expires_at?: string;
            backend: string;
            epochs_run?: number;
            final_metrics?: {
                [key: string]: number;
            };
            spec: {
                model: unknown;
                compile: unknown;
            };
            /** @description The model this one continued training from (initial_model). */
            parent?: {
                model_id: string;
                checkpoint: string | null;
            };
            /** @description Size of all its files on disk. */
            size_bytes: number;
            /** @description Files written by callbacks such as CSVLogger. */
            artifacts: {
                name: string;
                bytes: number;
                url: string;
            }[];
            links: {
                self: string;
                /** @description The final model as one .tar.gz; add ?checkpoint=<name> for a checkpoint. */
                archive: string;
                /** @description The model as a Keras 3 .keras file; see GET /v1/models/{id}/export for other formats and checkpoints. */
                export: string;
                job: string;
            };
            summary: {
                layers: {
                    name: string;
                    class_name: string;
                    /** @description Without the batch dimension. */
                    output_shape: (number | null)[];
                    params: number;
                    trainable_params: number;
                    inbound: string[];
                }[];
                total_params: number;
                trainable_params: number;
                non_trainable_params: number;
            };
            /** @description The final model in the TensorFlow.js layers format, plus optimizer state. */
            files: {
                name: string;
                bytes: number;
                url: string;
            }[];
            checkpoints: {
                name: string;
                /** @description 0-based epoch after which it was saved. */
                epoch: number;
                monitor?: string;
                value?: number;
                weights_only?: boolean;
                files: {
                    name: string;
                    bytes: number;
                    url: string;
                }[];
            }[];
        };
        /**
         * ModelRef
         * @description A trained model (or one of its checkpoints) to start from.
         */
        ModelRef: {
            model_id: string;
            /** @description A checkpoint name from GET /v1/models/{id}; omitted: the final model. */
            checkpoint?: string;
        };
        /**
         * ModelSpec
         * @description A model: functional graph, Sequential shorthand, or Keras to_json().
         */
        ModelSpec: components["schemas"]["GraphModel"] | components["schemas"]["SequentialModel"] | components["schemas"]["KerasJsonModel"];
        /** PredictJobCreate */
        PredictJobCreate: {
            /** @enum {string} */
            type: "predict";
            model_id: string;
            /** @description A checkpoint name from GET /v1/models/{id}; omitted: the final model. */
            checkpoint?: string;
            predict: components["schemas"]["PredictSpec"];
            /** @description BullMQ priority: 1 is the highest; jobs without one run first-come first-served before prioritized ones. */
            priority?: number;
            /** @description The job fails with a timeout error if it runs longer than this. */
            timeout_s?: number;
        };
        /**
         * PredictSpec
         * @description keras Model.predict(x, batch_size) — one array per output.
         */
        PredictSpec: {
            x: components["schemas"]["Data"];
            batch_size?: number;
        };
        /**
         * Problem
         * @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers).
         */
        Problem: {
            type: string;
            title: string;
            status: number;
            detail: string;
            code?: string;
            errors?: {
                /** @description JSON pointer into the request body */
                pointer: string;
                message: string;
            }[];
            /** @description 429/507: the per-tenant limit that was reached, and the current use */
            quota?: {
                /** @description The setting, e.g. TENANT_MAX_ACTIVE_JOBS */
                limit: string;
                what: string;
                used: number;
                max: number;
            };
        };
        /**
         * RandomArray
         * @description Data generated by the worker, the way the Keras tutorial uses numpy.random.
         */
        RandomArray: {
            random: {
                /** @description uniform: floats in [low, high) like np.random.random; randint: integers in [low, high) like np.random.randint. */
                kind: "uniform" | "randint";
                shape: number[];
                low?: number;
                high?: number;
                seed?: number;
            };
        };
        /**
         * SequentialModel
         * @description Shorthand for keras.Sequential([...]).
         */
        SequentialModel: {
            /** @description First item is {"class_name": "InputLayer", "config": {"shape": [...]}}. */
            sequential: {
                name?: string;
                class_name: string;
                config?: {
                    [key: string]: unknown;
                };
            }[];
            /** @description Initial weights per layer name, in Keras layer.get_weights() order. */
            weights?: {
                [key: string]: unknown[];
            };
        };
        /**
         * Serialized
         * @description A Keras object as {class_name, config}, as keras.saving.serialize_keras_object writes it.
         */
        Serialized: {
            class_name: string;
            config?: {
                [key: string]: unknown;
            };
        };
        /** Sweep */
        Sweep: {
            id: string;
            state: "running" | "completed" | "cancelled" | "failed";
            created_at: string;
            ended_at?: string;
            error?: string;
            spec: components["schemas"]["SweepCreate"];
            trials: components["schemas"]["SweepTrial"][];
            best: {
                trial_id: string;
                job_id: string;
                hyperparameters: {
                    [key: string]: string | number | boolean;
                };
                objective: number;
                model_id: string | null;
            } | null;
            links: {
                self: string;
                events: string;
            };
        };
        /** SweepAccepted */
        SweepAccepted: {
            id: string;
            /** @enum {string} */
            state: "running";
            links: {
                self: string;
                events: string;
            };
        };
        /**
         * SweepAlgorithm
         * @description A KerasTuner tuner's search: GridSearch, RandomSearch, Hyperband or BayesianOptimization, with that tuner's options.
         */
        SweepAlgorithm: {
            /** @enum {string} */
            class_name: "GridSearch";
            config?: Record<string, never>;
        } | {
            /** @enum {string} */
            class_name: "RandomSearch";
            config?: {
                seed?: number;
            };
        } | {
            /** @enum {string} */
            class_name: "Hyperband";
            config: {
                max_epochs: number;
                factor?: number;
                hyperband_iterations?: number;
                seed?: number;
            };
        } | {
            /** @enum {string} */
            class_name: "BayesianOptimization";
            config?: {
                num_initial_points?: number;
                alpha?: number;
                beta?: number;
                seed?: number;
            };
        };
        /** SweepCreate */
        SweepCreate: {
            /** @description A fit job body (POST /v1/jobs) in which any value may be {"$hp": "<name>"}. */
            base: {
                /** @enum {string} */
                type: "fit";
            } & {
                [key: string]: unknown;
            };
            /** @description Hyperparameters by name, parents declared before their children. */
            search_space: {
                [key: string]: components["schemas"]["Hyperparameter"];
            };
            algorithm: components["schemas"]["SweepAlgorithm"];
            objective: components["schemas"]["SweepObjective"];
            max_trials: number;
            /** @description Trials queued or running at once (default 1). */
            max_parallel_trials?: number;
            early_stopping?: components["schemas"]["EarlyStoppingPolicy"];
        };
        /** SweepList */
        SweepList: {
            sweeps: components["schemas"]["Sweep"][];
        };
        /**
         * SweepObjective
         * @description keras_tuner.Objective(name, direction): a trial's objective is its best epoch's value.
         */
        SweepObjective: {
            /** @description A key of the trials' history (loss, val_loss, val_accuracy, ...). */
            name: string;
            /** @description Required: the service never guesses it from the name. */
            direction: "min" | "max";
        };
        /** SweepTrial */
        SweepTrial: {
            id: string;
            /** @description The fit job this trial ran as (null when its spec was refused). */
            job_id: string | null;
            hyperparameters: {
                [key: string]: string | number | boolean;
            };
            state: "queued" | "running" | "completed" | "failed" | "cancelled" | "stopped";
            objective: number | null;
            epochs_run: number | null;
            error?: string;
            /** @description With early_stopping: the objective at each of the trial's own epochs, in order (null: not a finite number, which the policies count as the worst value). */
            curve?: (number | null)[];
            /** @description Why early_stopping stopped the trial (its state is then stopped, once its job has ended). */
            stopped_reason?: string;
            /** @description The epoch (of its own, from 1) early_stopping stopped it at. Its job trains on until the cancel reaches it, within a batch; the policy judges other trials by its curve up to here, as Ray sees a stopped trial. */
            stopped_at_epoch?: number;
            /** @description Hyperband: the epochs this trial trains to. */
            epochs?: number;
            /** @description Hyperband: where it continues its parent's training. */
            initial_epoch?: number;
            /** @description Hyperband: the trial it continues. */
            parent?: string;
            bracket?: number;
            round?: number;
        };
        /**
         * TensorRef
         * @description A tensor of the graph.
         */
        TensorRef: string | (string | number)[];
        /** Usage */
        Usage: {
            tenant: string;
            /** @description Queued and running jobs. Over the limit, a submit answers 429. */
            active_jobs: {
                used: number;
                limit: number;
                setting: string;
            };
            disk_bytes: {
                used: number;
                limit: number;
                setting: string;
            } & {
                models: number;
                datasets: number;
                results: number;
            };
            /** @description Uploaded datasets. At the limit, an upload answers 429. */
            datasets: {
                used: number;
                limit: number;
                setting: string;
            };
            /** @description Open event streams (GET /v1/jobs/{id}/events). At the limit, another answers 429. */
            streams: {
                used: number;
                limit: number;
                setting: string;
            };
        };
        /** ValidationData */
        ValidationData: {
            x: components["schemas"]["Data"];
            y: components["schemas"]["Data"];
            sample_weight?: components["schemas"]["Data"];
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    uploadDataset: {
        parameters: {
            query?: {
                /** @description Seconds from now until it may be removed (kept while a queued or running job uses it). */
                ttl_s?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description multipart/form-data; the parts are streamed to disk and checked by the handler (the schema documents them, it is not used to validate). */
        requestBody: {
            content: {
                "multipart/form-data": {
                    /** @description One or more files, each in a part named "file". .npy: one array named after the file (x_train.npy → x_train). .npz (numpy.savez/savez_compressed): one array per member. .csv: a header row of column names, then numbers → one 2-D float32 array. .json: a nested array of numbers → one array. */
                    file: string[];
                };
            };
        };
        responses: {
            /** @description A dataset: its arrays by name, as stored (float32 or int32, C order). */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Dataset"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No API key, or an unknown one (only when the service runs with API_KEYS). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            507: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getDataset: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A dataset: its arrays by name, as stored (float32 or int32, C order). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Dataset"];
                };
            };
            /** @description No API key, or an unknown one (only when the service runs with API_KEYS). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests from this key (RATE_LIMIT_PER_MINUTE), or a per-tenant quota is used up. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteDataset: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description No API key, or an unknown one (only when the service runs with API_KEYS). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests from this key (RATE_LIMIT_PER_MINUTE), or a per-tenant quota is used up. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    setDatasetTtl: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ExpiryPatch"];
            };
        };
        responses: {
            /** @description A dataset: its arrays by name, as stored (float32 or int32, C order). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Dataset"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No API key, or an unknown one (only when the service runs with API_KEYS). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests from this key (RATE_LIMIT_PER_MINUTE), or a per-tenant quota is used up. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        status: "ok" | "degraded";
                        redis: "up" | "down";
                        /** @description TensorFlow.js backend of the live workers: tensorflow (libtensorflow) or cpu (pure-JS fallback). */
                        backend: string | null;
                        workers: {
                            id: string;
                            backend: string;
                            pid: number;
                            host: string;
                            seen_at: string;
                        }[];
                    };
                };
            };
        };
    };
    getReadiness: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        ready: boolean;
                        redis: "up" | "down";
                        /** @description Workers seen in the last 30 s. */
                        workers: number;
                        /** @description Why the service is not ready; empty when it is. */
                        reasons: string[];
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        ready: boolean;
                        redis: "up" | "down";
                        /** @description Workers seen in the last 30 s. */
                        workers: number;
                        /** @description Why the service is not ready; empty when it is. */
                        reasons: string[];
                    };
                };
            };
        };
    };
    getMetrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Prometheus text exposition format 0.0.4 */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
        };
    };
    importModel: {
        parameters: {
            query?: {
                wait?: number;
                /** @description Seconds from now until it may be removed (kept while a queued or running job uses it). */
                ttl_s?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description multipart/form-data with one part, "file"; read by the handler (the schema documents it, it is not used to validate). */
        requestBody: {
            content: {
                "multipart/form-data": {
                    /**
                     * Format: binary
                     * @description The .keras or .h5 file.
                     */
                    file: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ImportAnswer"];
                };
            };
            /** @description Default Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ImportAnswer"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No API key, or an unknown one (only when the service runs with API_KEYS). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            507: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    exportModel: {
        parameters: {
            query: {
                format: "keras" | "keras_json" | "tfjs";
                checkpoint?: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The model file */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/octet-stream": string;
                    "application/json": unknown;
                    "application/gzip": string;
                };
            };
            /** @description No API key, or an unknown one (only when the service runs with API_KEYS). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests from this key (RATE_LIMIT_PER_MINUTE), or a per-tenant quota is used up. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listJobs: {
        parameters: {
            query?: {
                /** @description queued → running → completed | failed | cancelled */
                state?: "queued" | "running" | "completed" | "failed" | "cancelled";
                type?: "fit" | "evaluate" | "predict";
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobList"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No API key, or an unknown one (only when the service runs with API_KEYS). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests from this key (RATE_LIMIT_PER_MINUTE), or a per-tenant quota is used up. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createJob: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retrying with the same key (and body) returns the same job instead of creating another. */
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["JobCreate"];
            };
        };
        responses: {
            /** @description Default Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobAccepted"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No API key, or an unknown one (only when the service runs with API_KEYS). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            507: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getJob: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Job"];
                };
            };
            /** @description No API key, or an unknown one (only when the service runs with API_KEYS). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests from this key (RATE_LIMIT_PER_MINUTE), or a per-tenant quota is used up. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    cancelJob: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Job"];
                };
            };
            /** @description No API key, or an unknown one (only when the service runs with API_KEYS). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests from this key (RATE_LIMIT_PER_MINUTE), or a per-tenant quota is used up. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getJobSpec: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        spec: unknown;
                    };
                };
            };
            /** @description No API key, or an unknown one (only when the service runs with API_KEYS). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests from this key (RATE_LIMIT_PER_MINUTE), or a per-tenant quota is used up. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    downloadJobResult: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                file: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A numpy .npy file (float32, C order) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/octet-stream": string;
                };
            };
            /** @description No API key, or an unknown one (only when the service runs with API_KEYS). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests from this key (RATE_LIMIT_PER_MINUTE), or a per-tenant quota is used up. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    streamJobEvents: {
        parameters: {
            query?: {
                last_event_id?: string;
            };
            header?: {
                "last-event-id"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The job's events, as server-sent events: each frame has an id (for Last-Event-ID), an event type and JSON data. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": components["schemas"]["JobEvent"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No API key, or an unknown one (only when the service runs with API_KEYS). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listSweeps: {
        parameters: {
            query?: {
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SweepList"];
                };
            };
            /** @description No API key, or an unknown one (only when the service runs with API_KEYS). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests from this key (RATE_LIMIT_PER_MINUTE), or a per-tenant quota is used up. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createSweep: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SweepCreate"];
            };
        };
        responses: {
            /** @description Default Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SweepAccepted"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No API key, or an unknown one (only when the service runs with API_KEYS). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getSweep: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Sweep"];
                };
            };
            /** @description No API key, or an unknown one (only when the service runs with API_KEYS). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests from this key (RATE_LIMIT_PER_MINUTE), or a per-tenant quota is used up. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    cancelSweep: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Sweep"];
                };
            };
            /** @description No API key, or an unknown one (only when the service runs with API_KEYS). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests from this key (RATE_LIMIT_PER_MINUTE), or a per-tenant quota is used up. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    streamSweepEvents: {
        parameters: {
            query?: {
                last_event_id?: string;
            };
            header?: {
                "last-event-id"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The sweep's events as server-sent events. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": components["schemas"]["JobEvent"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No API key, or an unknown one (only when the service runs with API_KEYS). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listModels: {
        parameters: {
            query?: {
                limit?: number;
                offset?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        models: components["schemas"]["Model"][];
                        total: number;
                    };
                };
            };
            /** @description No API key, or an unknown one (only when the service runs with API_KEYS). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests from this key (RATE_LIMIT_PER_MINUTE), or a per-tenant quota is used up. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getModel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Model"];
                };
            };
            /** @description No API key, or an unknown one (only when the service runs with API_KEYS). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests from this key (RATE_LIMIT_PER_MINUTE), or a per-tenant quota is used up. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteModel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description No API key, or an unknown one (only when the service runs with API_KEYS). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests from this key (RATE_LIMIT_PER_MINUTE), or a per-tenant quota is used up. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    setModelTtl: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ExpiryPatch"];
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Model"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No API key, or an unknown one (only when the service runs with API_KEYS). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests from this key (RATE_LIMIT_PER_MINUTE), or a per-tenant quota is used up. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    downloadModelArchive: {
        parameters: {
            query?: {
                checkpoint?: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A gzipped tar of model.json, weights.bin and optimizer state */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/gzip": string;
                };
            };
            /** @description No API key, or an unknown one (only when the service runs with API_KEYS). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests from this key (RATE_LIMIT_PER_MINUTE), or a per-tenant quota is used up. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    predictWithModel: {
        parameters: {
            query?: {
                /** @description Seconds to wait for the result; 200 with the finished job if it ends in time, else 202 with its link. */
                wait?: number;
                checkpoint?: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        /** @description keras Model.predict(x, batch_size) — one array per output. */
        requestBody: {
            content: {
                "application/json": components["schemas"]["PredictSpec"];
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Job"];
                };
            };
            /** @description Default Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Job"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No API key, or an unknown one (only when the service runs with API_KEYS). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            507: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    evaluateModel: {
        parameters: {
            query?: {
                /** @description Seconds to wait for the result; 200 with the finished job if it ends in time, else 202 with its link. */
                wait?: number;
                checkpoint?: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        /** @description keras Model.evaluate(x, y, batch_size, sample_weight) — the result is evaluate(return_dict=True). */
        requestBody: {
            content: {
                "application/json": components["schemas"]["EvaluateSpec"];
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Job"];
                };
            };
            /** @description Default Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Job"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No API key, or an unknown one (only when the service runs with API_KEYS). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            507: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getUsage: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Usage"];
                };
            };
            /** @description No API key, or an unknown one (only when the service runs with API_KEYS). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests from this key (RATE_LIMIT_PER_MINUTE), or a per-tenant quota is used up. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    downloadModelFile: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                /** @description final/<file>, artifacts/<file> or checkpoints/<name>/<file> */
                path: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The file */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/octet-stream": string;
                };
            };
            /** @description No API key, or an unknown one (only when the service runs with API_KEYS). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests from this key (RATE_LIMIT_PER_MINUTE), or a per-tenant quota is used up. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
}
