/* A shared object that is not a module: no entry symbol. */
int awsphase_not_the_entry(void);
int awsphase_not_the_entry(void)
{
	return 42;
}
