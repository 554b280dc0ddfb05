/* libFuzzer target for the aws error classifier: aws_classify() reads an
 * exit code and whatever the aws CLI printed on stderr, which is anything a
 * CLI, a proxy or a broken install can print.  Built and run by
 * tests/fuzz/run.sh; the first byte is the exit code, the rest stderr.
 *
 * Besides memory errors it checks what aws.c relies on: code, operation
 * and message are NUL-terminated within their arrays, the message is one
 * line, the kind is one of the enum, a name exists for every failure, and
 * the retry decision and hint never crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_field(const char *field, size_t size)
{
	if (memchr(field, '\0', size) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int codes[] = { 0, 1, 2, 126, 127, 130, 252, 253, 254, 255 };
	struct aws_error e;
	char *text;
	int code;

	if (size == 0)
		return 0;
	/* mostly the codes the CLIs use, sometimes anything */
	code = data[0] < 200 ? codes[data[0] % 10] : (int)data[0] - 200 - 28;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';

	memset(&e, 0xa5, sizeof(e)); /* the classifier must fill what it reports */
	aws_classify(code, text, &e);
	check_field(e.code, sizeof(e.code));
	check_field(e.operation, sizeof(e.operation));
	check_field(e.message, sizeof(e.message));
	if (strchr(e.message, '\n'))
		abort();
	if ((int)e.kind < AWS_ERR_NONE || e.kind > AWS_ERR_INTERRUPTED)
		abort();
	if (e.kind != AWS_ERR_NONE && !aws_error_name(&e))
		abort();
	(void)aws_error_retryable(&e);
	(void)aws_error_hint(&e);
	(void)aws_is_mutating(text);
	free(text);
	return 0;
}
