/** The errors of dataset uploads and reads, in the style of src/errors.ts (answered as application/problem+json). */
import createError from '@fastify/error';
import type { ProblemIssue } from '../errors.ts';
import { pointer } from '../spec/problem.ts';

export const DatasetNotFound = createError('KJ_ERR_DATASET_NOT_FOUND', 'No dataset with id "%s"', 404);
export const DatasetArrayNotFound = createError('KJ_ERR_DATASET_ARRAY_NOT_FOUND', 'Dataset "%s" has no array "%s" (it has: %s)', 404);
export const DatasetTooLarge = createError('KJ_ERR_DATASET_TOO_LARGE', '%s', 413);
export const NotMultipart = createError('KJ_ERR_NOT_MULTIPART', 'Upload datasets as multipart/form-data with one or more "file" parts (got content-type "%s")', 415);
export const BadMultipart = createError('KJ_ERR_BAD_MULTIPART', 'The multipart body could not be read: %s', 400);
/** A rows/columns selection that does not fit the array (raised by DatasetStore.readArray). */
export const BadArraySelection = createError('KJ_ERR_BAD_ARRAY_SELECTION', '%s', 422);

/**
 * One uploaded part that cannot become an array: answered 422 with `errors: [{pointer: '/file/<filename>', message}]`.
 * `file` is the part's file name as the client sent it ('' when the problem is with the form itself).
 */
export class InvalidDatasetFile extends Error {
  readonly code = 'KJ_ERR_INVALID_DATASET';
  readonly statusCode = 422;
  readonly issues: ProblemIssue[];
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(file ? `${file}: ${message}` : message);
    this.name = 'InvalidDatasetFile';
    this.issues = [{ pointer: file ? pointer('file', file) : '/file', message }];
  }
}
